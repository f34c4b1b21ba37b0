// Apache ECharts (vendored, loaded on first use from /assets/vendor/, no eval, CSP-safe) and
// the shared look of the charts.

let loading = null;
const live = new Set();

export const LEVEL_COLORS = { 1: '#1677ff', 2: '#d89614', 3: '#fa8c16', 4: '#f5222d' };
export const PALETTE = ['#1f6feb', '#f5222d', '#fa8c16', '#13a8a8', '#722ed1', '#52c41a', '#eb2f96', '#8c8c8c'];

function vendorUrl() {
  // Next to this module: /assets/charts.js → /assets/vendor/echarts.min.js
  return new URL('./vendor/echarts.min.js', import.meta.url).href;
}

export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = vendorUrl();
      s.async = true;
      s.onload = () => (window.echarts ? resolve(window.echarts) : reject(new Error('echarts missing')));
      s.onerror = () => {
        loading = null;
        reject(new Error('cannot load echarts'));
      };
      document.head.appendChild(s);
    });
  }
  return loading;
}

/** Create (or reuse) a chart on `el`, set `option`, and wire clicks to `onClick(params)`. */
export function chart(echarts, el, option, onClick) {
  let c = echarts.getInstanceByDom(el);
  if (!c) c = echarts.init(el, null, { renderer: 'canvas' });
  c.off('click');
  c.setOption(option, true);
  if (onClick) {
    c.on('click', onClick);
    el.classList.add('clickable');
  }
  live.add(c);
  return c;
}

/** Dispose every chart (the page is being left). */
export function disposeAll() {
  for (const c of live) {
    try { c.dispose(); } catch (_) { /* already gone */ }
  }
  live.clear();
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const c of live) {
      if (!c.isDisposed()) c.resize();
    }
  }, 120);
});

export const baseText = {
  fontFamily: '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", system-ui, sans-serif',
  fontSize: 12,
  color: '#4e5969',
};

export function baseGrid(extra) {
  return Object.assign({ left: 48, right: 24, top: 36, bottom: 36, containLabel: true }, extra || {});
}
