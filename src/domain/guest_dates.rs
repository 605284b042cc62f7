//! Dates as a guest reads them in the language of the text around them: a Portuguese reply
//! says "12 de março de 2026", not "2026-03-12" or an English month. Languages without a
//! table here keep the ISO date, which reads the same everywhere.

use chrono::{Datelike, NaiveDate};

/// Month names and the date pattern (`{d}`, `{m}`, `{y}`) of each language we write in.
fn words(language: &str) -> Option<([&'static str; 12], &'static str)> {
    Some(match language {
        "en" => (
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            "{d} {m} {y}",
        ),
        "pt" => (
            [
                "janeiro",
                "fevereiro",
                "março",
                "abril",
                "maio",
                "junho",
                "julho",
                "agosto",
                "setembro",
                "outubro",
                "novembro",
                "dezembro",
            ],
            "{d} de {m} de {y}",
        ),
        "es" => (
            [
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ],
            "{d} de {m} de {y}",
        ),
        "fr" => (
            [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
            "{d} {m} {y}",
        ),
        "de" => (
            [
                "Januar",
                "Februar",
                "März",
                "April",
                "Mai",
                "Juni",
                "Juli",
                "August",
                "September",
                "Oktober",
                "November",
                "Dezember",
            ],
            "{d}. {m} {y}",
        ),
        "it" => (
            [
                "gennaio",
                "febbraio",
                "marzo",
                "aprile",
                "maggio",
                "giugno",
                "luglio",
                "agosto",
                "settembre",
                "ottobre",
                "novembre",
                "dicembre",
            ],
            "{d} {m} {y}",
        ),
        "nl" => (
            [
                "januari",
                "februari",
                "maart",
                "april",
                "mei",
                "juni",
                "juli",
                "augustus",
                "september",
                "oktober",
                "november",
                "december",
            ],
            "{d} {m} {y}",
        ),
        _ => return None,
    })
}

/// `date` written for a text in `language` (a normalised two-letter code).
pub fn long_date(date: NaiveDate, language: &str) -> String {
    match words(language) {
        Some((months, pattern)) => pattern
            .replace("{d}", &date.day().to_string())
            .replace("{m}", months[date.month0() as usize])
            .replace("{y}", &date.year().to_string()),
        None => date.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_language_writes_its_own_month() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        assert_eq!(long_date(d, "pt"), "12 de março de 2026");
        assert_eq!(long_date(d, "en"), "12 March 2026");
        assert_eq!(long_date(d, "de"), "12. März 2026");
        assert_eq!(long_date(d, "fr"), "12 mars 2026");
        assert_eq!(long_date(d, "ja"), "2026-03-12");
    }

    proptest! {
        /// Every date of every year we handle names its year and day, whatever the language.
        #[test]
        fn the_day_and_year_always_show(days in 0i64..40_000, lang in "(en|pt|es|fr|de|it|nl|xx)") {
            let d = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
            let s = long_date(d, &lang);
            prop_assert!(s.contains(&d.year().to_string()));
            prop_assert!(s.contains(&d.day().to_string()));
        }
    }
}
