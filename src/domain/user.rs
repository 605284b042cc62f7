//! Users, their roles, and the input rules for e-mail addresses and passwords.

use serde::{Deserialize, Serialize};

/// What a user may do. Managers can do everything agents can, and administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

/// The longest account slug, e-mail and password a sign-in may name (checked before anything
/// else, so no oversized value is ever hashed, counted or looked up).
pub const MAX_ACCOUNT_CHARS: usize = 63;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a sign-in names, folded once so that `" AGENT@ra.test"` and `agent@ra.test` are the
/// same user for the lookup and for the failure limits alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName {
    pub account: String,
    pub email: String,
}

impl LoginName {
    /// Trims and case-folds both; refuses oversized or control-character input.
    pub fn parse(account: &str, email: &str) -> Result<LoginName, String> {
        let fold = |raw: &str, max: usize, what: &str| {
            let v = raw.trim().to_lowercase();
            if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
                Err(format!("the {what} must have 1 to {max} characters"))
            } else {
                Ok(v)
            }
        };
        Ok(LoginName {
            account: fold(account, MAX_ACCOUNT_CHARS, "account")?,
            email: fold(email, MAX_EMAIL_CHARS, "e-mail")?,
        })
    }
}

/// Passwords of ten or more characters that breach corpora show over and over; any of them
/// (in any case) is refused. A short list on purpose: it stops the guesses an attacker tries
/// first, without a dictionary in the binary.
const COMMON_PASSWORDS: [&str; 24] = [
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "asdfghjkl1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "qwerty1234",
    "qwerty12345",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "changeme123",
    "administrator",
    "football123",
    "princess123",
    "1111111111",
];

/// Passwords are 10 to 256 characters and not among the most common ones; longer ones are
/// refused before hashing.
pub fn check_password(raw: &str) -> Result<(), String> {
    match raw.chars().count() {
        0..=9 => Err("the password must have at least 10 characters".into()),
        10..=256 if COMMON_PASSWORDS.contains(&raw.to_lowercase().as_str()) => {
            Err("this password is among the most common ones; choose another".into())
        }
        10..=256 => Ok(()),
        _ => Err("the password must have at most 256 characters".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_fold_spacing_and_case_and_refuse_oversize() {
        let plain = LoginName::parse("ra", "agent@ra.test").unwrap();
        for (account, email) in [
            (" ra", " agent@ra.test"),
            ("RA", "AGENT@ra.test "),
            ("ra\t", "\tagent@ra.test"),
        ] {
            assert_eq!(
                LoginName::parse(account, email).unwrap(),
                plain,
                "{account:?} {email:?}"
            );
        }
        assert!(LoginName::parse("ra", &"a".repeat(900_000)).is_err());
        assert!(LoginName::parse("", "a@b.c").is_err());
        assert!(LoginName::parse("ra", "a\u{0}@b.c").is_err());
    }

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
        assert!(check_password("ninechars").is_err(), "at least ten");
        assert!(
            check_password("Password123").is_err(),
            "common, in any case"
        );
        assert!(check_password("1234567890").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}
