//! Accounts: creating one (`zhijian users add`) and the demo accounts, one per role, with
//! scopes that exist in the data.

use serde::Serialize;
use zhijian_domain::Record;
use zhijian_store::{RecordKind, Role, Store, StoreError, User};

use crate::auth::hash_password;

/// Shortest password accepted by [`add_user`].
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// Check an account's attributes against its role: a branch head needs a branch, a team
/// lead a branch and a team, an agent an agent id, a client auditor a client.
pub fn validate(user: &User) -> Result<(), String> {
    let name_ok = !user.username.is_empty()
        && user.username.len() <= 64
        && user
            .username
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c));
    if !name_ok {
        return Err(format!(
            "username {:?}: 1–64 letters, digits, `.`, `_`, `-`, `@`",
            user.username
        ));
    }
    let has = |v: &Option<String>| v.as_ref().is_some_and(|s| !s.trim().is_empty());
    let need: &[(&str, bool)] = match user.role {
        Role::Admin | Role::QaLead | Role::QaReviewer => &[],
        Role::BranchHead => &[("--branch", has(&user.branch))],
        Role::TeamLead => &[("--branch", has(&user.branch)), ("--team", has(&user.team))],
        Role::Agent => &[("--agent", has(&user.agent_id))],
        Role::ClientAuditor => &[("--client", has(&user.client))],
    };
    for (flag, ok) in need {
        if !ok {
            return Err(format!("role {} needs {flag}", user.role));
        }
    }
    Ok(())
}

/// Create or replace an account with an argon2id hash of `password`.
pub async fn add_user(store: &Store, user: &User, password: &str) -> Result<(), UserError> {
    validate(user).map_err(UserError::Invalid)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::Invalid(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| UserError::Hash(e.to_string()))?
        .map_err(UserError::Hash)?;
    store.upsert_user(user, &hash).await?;
    Ok(())
}

/// A demo account as [`seed_demo_users`] created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// What the account sees, in words (`branch 武汉分公司`, `everything`).
    pub scope: String,
}

/// One account per role, over the agents and clients in the store: `admin`, `qa_lead`,
/// `qa_reviewer` (everything), `branch_head` (the first branch), `team_lead` (its first
/// team), `agent` (an agent of that team), `client_auditor` (the first client). Passwords are
/// fixed (`demo-<role>-2026`): the demo data is local and synthetic. Existing accounts of
/// these names are replaced.
pub async fn seed_demo_users(store: &Store) -> Result<Vec<DemoAccount>, UserError> {
    let mut agents: Vec<zhijian_domain::Agent> = store
        .records(RecordKind::Agent)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Agent(a) => Some(a),
            _ => None,
        })
        .collect();
    agents.sort_by(|a, b| (&a.branch, &a.team, &a.id).cmp(&(&b.branch, &b.team, &b.id)));
    let mut clients: Vec<String> = store
        .records(RecordKind::Client)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Client(c) => Some(c.id),
            _ => None,
        })
        .collect();
    clients.sort();
    let first = agents.first();
    let branch = first.map(|a| a.branch.clone());
    let team = first.map(|a| a.team.clone());
    // The team's first agent that is not its supervisor, else the first.
    let team_agents: Vec<&zhijian_domain::Agent> = agents
        .iter()
        .filter(|a| Some(&a.branch) == branch.as_ref() && Some(&a.team) == team.as_ref())
        .collect();
    let agent = team_agents
        .iter()
        .find(|a| a.supervisor.is_some())
        .or(team_agents.first())
        .copied();
    let client = clients.first().cloned();

    let mut out = Vec::new();
    for role in Role::ALL {
        let mut u = User {
            username: role.as_str().to_string(),
            display_name: String::new(),
            role,
            branch: None,
            team: None,
            agent_id: None,
            client: None,
        };
        let scope = match role {
            Role::Admin => {
                u.display_name = "系统管理员".into();
                "everything (personal data in clear)".to_string()
            }
            Role::QaLead => {
                u.display_name = "质检主管".into();
                "everything (personal data in clear)".to_string()
            }
            Role::QaReviewer => {
                u.display_name = "质检员".into();
                "everything (personal data masked)".to_string()
            }
            Role::BranchHead => {
                u.branch = branch.clone();
                u.display_name = format!("{}负责人", branch.as_deref().unwrap_or(""));
                format!("branch {}", branch.as_deref().unwrap_or("(none)"))
            }
            Role::TeamLead => {
                u.branch = branch.clone();
                u.team = team.clone();
                u.display_name = format!(
                    "{}{}组长",
                    branch.as_deref().unwrap_or(""),
                    team.as_deref().unwrap_or("")
                );
                format!(
                    "team {} / {}",
                    branch.as_deref().unwrap_or("(none)"),
                    team.as_deref().unwrap_or("(none)")
                )
            }
            Role::Agent => {
                u.agent_id = agent.map(|a| a.id.clone());
                u.display_name = agent
                    .map(|a| a.name.clone())
                    .unwrap_or_else(|| "坐席".into());
                format!(
                    "own interactions of agent {}",
                    u.agent_id.as_deref().unwrap_or("(none)")
                )
            }
            Role::ClientAuditor => {
                u.client = client.clone();
                u.display_name = format!("{}审计", client.as_deref().unwrap_or("委托方"));
                format!("client {}", client.as_deref().unwrap_or("(none)"))
            }
        };
        let password = format!("demo-{}-2026", role.as_str().replace('_', "-"));
        if validate(&u).is_err() {
            // The store holds no agent or client for this role: leave the account out.
            continue;
        }
        add_user(store, &u, &password).await?;
        out.push(DemoAccount {
            username: u.username,
            password,
            role,
            scope,
        });
    }
    Ok(out)
}
