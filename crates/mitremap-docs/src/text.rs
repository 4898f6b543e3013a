//! Plain text: the identity (the front end normally reads text itself, with UTF-16 detection).

use crate::{Extracted, Format, SourceMap};

pub fn extract(bytes: &[u8]) -> Extracted {
    Extracted {
        format: Format::Text,
        text: String::from_utf8_lossy(bytes).into_owned(),
        map: SourceMap::default(),
        pages: None,
        notes: Vec::new(),
    }
}
