//! Users, their roles, and the input rules for e-mail addresses and passwords.

use serde::{Deserialize, Serialize};

/// What a user may do. Managers can do everything agents can, and administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Agent => "agent",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "manager" => Ok(Role::Manager),
            "agent" => Ok(Role::Agent),
            _ => Err(format!("`{raw}` is not a role (manager, agent)")),
        }
    }
}

/// Lowercases and checks an e-mail address: one `@`, something on both sides, a dot in the domain.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !domain.starts_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(format!("`{raw}` is not an e-mail address"))
    }
}

/// Passwords are 8 to 256 characters; longer ones are refused before hashing.
pub fn check_password(raw: &str) -> Result<(), String> {
    match raw.chars().count() {
        0..=7 => Err("the password must have at least 8 characters".into()),
        8..=256 => Ok(()),
        _ => Err("the password must have at most 256 characters".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" Ana@Demo.Test ").unwrap(), "ana@demo.test");
        for bad in [
            "",
            "ana",
            "ana@",
            "@demo.test",
            "ana@demo",
            "a b@demo.test",
            "a@b@c.d",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}
