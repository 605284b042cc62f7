//! Identifiers are `BIGINT`s in the database and strings on the wire (SPEC §5: "ids as
//! strings"), so JavaScript clients never lose precision. These serde helpers do the mapping.

/// Serialize/deserialize an `i64` id as a JSON string (a bare number is accepted on input).
pub mod as_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(n),
            Raw::Text(t) => t
                .parse()
                .map_err(|_| de::Error::custom(format!("`{t}` is not a valid id"))),
        }
    }
}

/// The same as [`as_string`] for optional ids (`null` stays `null`).
pub mod as_opt_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.collect_str(id),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::as_string")] i64);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Row {
        #[serde(with = "super::as_string")]
        id: i64,
        #[serde(with = "super::as_opt_string", default)]
        other: Option<i64>,
    }

    #[test]
    fn ids_travel_as_strings_and_accept_numbers() {
        let row = Row {
            id: 9_007_199_254_740_993,
            other: None,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"id":"9007199254740993","other":null}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        let from_number: Row = serde_json::from_str(r#"{"id":12,"other":"7"}"#).unwrap();
        assert_eq!(
            from_number,
            Row {
                id: 12,
                other: Some(7)
            }
        );
        assert!(serde_json::from_str::<Row>(r#"{"id":"x"}"#).is_err());
    }
}
