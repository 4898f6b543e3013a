//! Text preprocessing profiles, so a model sees text cleaned the way its training data was.
//!
//! `mitremap-notebook-v1` reproduces the cleaning the original MitreMap notebook applied before its
//! DistilGPT2 model: lower-case; indicators of compromise replaced by placeholder tokens
//! (`ip_token`, `url_token`, ...); words made only of digits replaced by `number_token`, words
//! mixing digits and letters by `alphanumeric_token`; punctuation dropped; English stop words
//! (NLTK's list) removed. Every output word remembers the byte range it came from, so
//! attributions computed on the cleaned text map back onto the analyst's original text.

use std::ops::Range;

use mitremap_ioc::IocKind;

use super::manifest::PreprocessProfile;

/// Preprocessed text with a map back to the original.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The text the model sees.
    pub text: String,
    /// `(range in text, range in original)` for every output word, in order.
    pub spans: Vec<(Range<usize>, Range<usize>)>,
}

impl Processed {
    /// Maps a byte range of the processed text to the smallest original range covering it.
    pub fn original_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        let first = self.spans.partition_point(|(p, _)| p.end <= r.start);
        let mut out: Option<Range<usize>> = None;
        for (p, o) in &self.spans[first..] {
            if p.start >= r.end {
                break;
            }
            out = Some(match out {
                None => o.clone(),
                Some(acc) => acc.start.min(o.start)..acc.end.max(o.end),
            });
        }
        out
    }
}

/// Applies a profile.
pub fn apply(profile: PreprocessProfile, text: &str) -> Processed {
    match profile {
        PreprocessProfile::MitremapNotebookV1 => notebook_v1(text),
    }
}

/// The placeholder the notebook profile puts in place of an IoC, for the kinds the original
/// replaced (the names of the added tokens in its tokenizer). Other kinds stay as words.
pub fn placeholder(kind: IocKind) -> Option<&'static str> {
    use IocKind::*;
    Some(match kind {
        Ipv4 | Ipv4Cidr | Ipv6 => "ip_token",
        Url => "url_token",
        Domain => "domain_token",
        Email => "email_token",
        Md5 => "md5_token",
        Sha1 => "sha1_token",
        Sha256 => "sha256_token",
        Cve => "cve_token",
        WindowsPath | UnixPath => "filepath_token",
        RegistryKey => "registry_token",
        _ => return None,
    })
}

fn notebook_v1(text: &str) -> Processed {
    let mut iocs: Vec<_> = mitremap_ioc::extract(text)
        .into_iter()
        .filter(|i| placeholder(i.kind).is_some())
        .collect();
    // Keep the outermost IoC where they overlap (a URL contains its domain).
    iocs.sort_by_key(|i| (i.range.start, std::cmp::Reverse(i.range.end)));
    let mut out = Processed {
        text: String::with_capacity(text.len()),
        spans: Vec::new(),
    };
    let push = |out: &mut Processed, word: &str, original: Range<usize>| {
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        let start = out.text.len();
        out.text.push_str(word);
        out.spans.push((start..out.text.len(), original));
    };
    let mut pos = 0;
    let mut ioc_iter = iocs.iter().peekable();
    while pos < text.len() {
        // Skip IoCs that started before `pos` (nested in one already replaced).
        while ioc_iter.peek().is_some_and(|i| i.range.start < pos) {
            ioc_iter.next();
        }
        let next_ioc = ioc_iter.peek().map_or(text.len(), |i| i.range.start);
        words(text, pos..next_ioc, &mut |word, range| {
            let lower = word.to_lowercase();
            if STOP_WORDS.binary_search(&lower.as_str()).is_ok() {
                return;
            }
            let digits = word.chars().filter(char::is_ascii_digit).count();
            let replaced = if digits == word.chars().count() {
                "number_token".to_string()
            } else if digits > 0 {
                "alphanumeric_token".to_string()
            } else {
                lower
            };
            push(&mut out, &replaced, range);
        });
        match ioc_iter.next() {
            Some(ioc) => {
                push(
                    &mut out,
                    placeholder(ioc.kind).unwrap_or("ioc_token"),
                    ioc.range.clone(),
                );
                pos = ioc.range.end.max(next_ioc);
            }
            None => pos = text.len(),
        }
    }
    out
}

/// Calls `f` for every run of letters/digits/underscores inside `range`.
fn words(text: &str, range: Range<usize>, f: &mut dyn FnMut(&str, Range<usize>)) {
    let slice = &text[range.clone()];
    let mut start = None;
    for (i, c) in slice.char_indices() {
        let is_word = c.is_alphanumeric() || c == '_';
        match (is_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                f(&slice[s..i], range.start + s..range.start + i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        f(&slice[s..], range.start + s..range.end);
    }
}

/// NLTK's English stop-word list (sorted, for binary search).
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "ain",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren",
    "aren't",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "couldn",
    "couldn't",
    "d",
    "did",
    "didn",
    "didn't",
    "do",
    "does",
    "doesn",
    "doesn't",
    "doing",
    "don",
    "don't",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn",
    "hadn't",
    "has",
    "hasn",
    "hasn't",
    "have",
    "haven",
    "haven't",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isn",
    "isn't",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "ll",
    "m",
    "ma",
    "me",
    "mightn",
    "mightn't",
    "more",
    "most",
    "mustn",
    "mustn't",
    "my",
    "myself",
    "needn",
    "needn't",
    "no",
    "nor",
    "not",
    "now",
    "o",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "re",
    "s",
    "same",
    "shan",
    "shan't",
    "she",
    "she's",
    "should",
    "should've",
    "shouldn",
    "shouldn't",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "that'll",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "ve",
    "very",
    "was",
    "wasn",
    "wasn't",
    "we",
    "were",
    "weren",
    "weren't",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "won't",
    "wouldn",
    "wouldn't",
    "y",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn words_numbers_and_stop_words() {
        let p = notebook_v1("The Actor used 2 tools in 2019 and APT29 was seen.");
        assert_eq!(
            p.text,
            "actor used number_token tools number_token alphanumeric_token seen"
        );
        // Every output word maps back to its original spelling.
        let original = "The Actor used 2 tools in 2019 and APT29 was seen.";
        let (_, o) = &p.spans[0];
        assert_eq!(&original[o.clone()], "Actor");
        assert_eq!(p.original_range(0..5).map(|r| &original[r]), Some("Actor"));
    }

    #[test]
    fn iocs_become_placeholders_that_map_back() {
        let original = "Beacon to 203.0.113.7 and hxxp://evil[.]example/a.php, hash 44d88612fea8a8f36de82e1278abb02f.";
        let p = notebook_v1(original);
        assert_eq!(p.text, "beacon ip_token url_token hash md5_token");
        let (_, o) = &p.spans[1];
        assert_eq!(&original[o.clone()], "203.0.113.7");
        let (_, o) = &p.spans[2];
        assert_eq!(&original[o.clone()], "hxxp://evil[.]example/a.php");
    }
}
