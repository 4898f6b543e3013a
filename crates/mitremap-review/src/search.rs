//! Finding a technique to add: the embedded ATT&CK catalogue searched by ID or name, fuzzily,
//! sub-techniques included (a sub-technique also matches by its parent's name, as the analyst
//! may know it as "PowerShell" or as "Command and Scripting Interpreter").

use mitremap_engine::attack::{Catalog, Status, Technique};

/// Active techniques matching `query`, best first, at most `limit`. Empty query: none.
///
/// Ranking: the exact ID, then IDs starting with the query (`T1059` brings its sub-techniques),
/// then names (with the parent's) starting with it, then containing it as a word start, then
/// containing it, then holding its letters in order (`pwrshl` finds PowerShell); ties by ID.
pub fn search_catalog(query: &str, limit: usize) -> Vec<&'static Technique> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let catalog = Catalog::embedded();
    let mut scored: Vec<(u8, &'static Technique)> = catalog
        .techniques()
        .iter()
        .filter(|t| t.status == Status::Active)
        .filter_map(|t| rank(catalog, t, &q).map(|r| (r, t)))
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    scored.into_iter().take(limit).map(|(_, t)| t).collect()
}

/// The full name shown and searched: `Command and Scripting Interpreter: PowerShell`.
pub fn full_name(technique: &Technique) -> String {
    match technique
        .parent
        .as_deref()
        .and_then(|p| Catalog::embedded().get(p))
    {
        Some(parent) => format!("{}: {}", parent.name, technique.name),
        None => technique.name.clone(),
    }
}

fn rank(catalog: &Catalog, t: &Technique, q: &str) -> Option<u8> {
    let id = t.id.to_lowercase();
    if id == q {
        return Some(0);
    }
    if id.starts_with(q) {
        return Some(1);
    }
    let own = t.name.to_lowercase();
    let name = match t.parent.as_deref().and_then(|p| catalog.get(p)) {
        Some(parent) => format!("{}: {own}", parent.name.to_lowercase()),
        None => own.clone(),
    };
    if own.starts_with(q) {
        return Some(2);
    }
    if name.starts_with(q) {
        return Some(3);
    }
    let word_start = name
        .match_indices(q)
        .any(|(at, _)| at == 0 || !name.as_bytes()[at - 1].is_ascii_alphanumeric());
    if word_start {
        return Some(4);
    }
    if name.contains(q) {
        return Some(5);
    }
    let mut letters = name.chars();
    let in_order = q
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| letters.any(|n| n == c));
    in_order.then_some(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(query: &str, limit: usize) -> Vec<&'static str> {
        search_catalog(query, limit)
            .into_iter()
            .map(|t| t.id.as_str())
            .collect()
    }

    #[test]
    fn finds_by_id_and_brings_sub_techniques() {
        assert_eq!(ids("T1059.001", 3)[0], "T1059.001");
        let family = ids("t1059", 20);
        assert_eq!(family[0], "T1059");
        assert!(family.contains(&"T1059.001") && family.contains(&"T1059.003"));
        assert!(family.iter().all(|id| id.starts_with("T1059")));
    }

    #[test]
    fn finds_by_name_parent_name_and_letters_in_order() {
        assert_eq!(ids("powershell", 1), ["T1059.001"]);
        // sub-techniques by the parent's name
        let by_parent = ids("command and scripting", 20);
        assert!(by_parent.contains(&"T1059") && by_parent.contains(&"T1059.001"));
        // fuzzy: letters in order
        assert!(ids("pwrshl", 10).contains(&"T1059.001"));
        assert_eq!(
            full_name(Catalog::embedded().get("T1059.001").unwrap()),
            "Command and Scripting Interpreter: PowerShell"
        );
    }

    #[test]
    fn revoked_techniques_and_empty_queries_find_nothing() {
        assert!(!ids("T1086", 10).contains(&"T1086"));
        assert!(ids("  ", 10).is_empty());
        assert!(ids("zzzzqqq", 10).is_empty());
    }
}
