//! Where the analysed text came from in a source document (PDF page, DOCX paragraph, HTML
//! section, e-mail part), for the exports that name it (CSV `source`, Markdown "page 3"). The
//! front end that read the document builds it from the document's source map; the exporters
//! know nothing about documents.

/// Sorted spans of the analysed text, each with a short human label (`page 3`,
/// `paragraph 12, "Persistence"`). A span runs from its start to the next span's start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLabels {
    starts: Vec<usize>,
    labels: Vec<String>,
}

impl SourceLabels {
    /// From `(start byte, label)` spans in text order (a span starting before the previous one
    /// is moved up to it; consecutive equal labels are merged).
    pub fn from_spans(spans: impl IntoIterator<Item = (usize, String)>) -> SourceLabels {
        let mut out = SourceLabels::default();
        for (start, label) in spans {
            if out.labels.last() == Some(&label) {
                continue;
            }
            let start = start.max(out.starts.last().copied().unwrap_or(0));
            out.starts.push(start);
            out.labels.push(label);
        }
        out
    }

    /// The label of the byte at `offset` of the analysed text.
    pub fn at(&self, offset: usize) -> Option<&str> {
        let i = self.starts.partition_point(|&s| s <= offset);
        i.checked_sub(1)
            .map(|i| self.labels[i].as_str())
            .filter(|l| !l.is_empty())
    }

    /// The distinct labels of the given offsets, in the order first met.
    pub fn of_all(&self, offsets: impl IntoIterator<Item = usize>) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for label in offsets.into_iter().filter_map(|o| self.at(o)) {
            if !out.contains(&label) {
                out.push(label);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_take_the_label_of_their_span() {
        let labels = SourceLabels::from_spans([
            (0, "page 1".to_owned()),
            (40, "page 1".to_owned()),
            (50, "page 2".to_owned()),
            (50, "page 3".to_owned()),
        ]);
        assert_eq!(labels.at(0), Some("page 1"));
        assert_eq!(labels.at(49), Some("page 1"));
        assert_eq!(
            labels.at(50),
            Some("page 3"),
            "the later of two equal starts wins"
        );
        assert_eq!(labels.of_all([60, 1, 55, 2]), ["page 3", "page 1"]);
        assert_eq!(SourceLabels::default().at(0), None);
    }
}
