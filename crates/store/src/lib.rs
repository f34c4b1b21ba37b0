//! Zhijian storage: one interface, two backends (embedded SQLite by default, PostgreSQL at
//! scale), each a module with its own migrations.
