//! Sentence splitting with byte ranges, tuned for threat-intelligence prose.
//!
//! A dot only ends a sentence when whitespace follows it, so IPs (`10.0.0.1`), domains,
//! file names (`rundll32.exe`), URLs and versions (`v1.2.3`) never split. Known abbreviations
//! (`e.g.`, `i.e.`, `Inc.`, `Fig.`), initials (`J. Smith`) and a lower-case next word also
//! keep the sentence going. Blank lines and bullet-list items always start a new sentence, so
//! lists without punctuation still split; text with no punctuation at all is one sentence
//! (the chunker then splits it on token boundaries).

use std::ops::Range;

/// Words that end in a dot without ending the sentence (compared lower-case, without the dot).
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "inc", "ltd", "corp", "co", "llc", "plc", "mr", "mrs", "ms", "dr",
    "prof", "sr", "jr", "st", "vs", "v", "no", "nos", "fig", "figs", "al", "approx", "appx", "est",
    "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "e.u", "ver", "vol", "pp", "p", "ch", "sec", "cf", "viz", "resp", "ca", "incl",
    "excl", "govt", "intl", "ref", "refs", "tbl", "max", "min", "a.k.a", "aka", "op", "cit",
];

const TERMINATORS: &[char] = &['.', '!', '?', '。', '！', '？', '…'];
const CLOSERS: &[char] = &['"', '\'', ')', ']', '}', '”', '’', '»', '*', '_'];

/// Splits `text` into sentences; returns their byte ranges, trimmed of surrounding whitespace,
/// in order and non-overlapping. Whitespace-only input yields no sentences.
pub fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for block in blocks(text) {
        split_block(text, block, &mut out);
    }
    out
}

/// Splits the text into blocks at blank lines and at lines that start a list item.
fn blocks(text: &str) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut block_start: Option<usize> = None;
    let mut block_end = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let range = line_start..line_start + line.len();
        line_start = range.end;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if let Some(start) = block_start.take() {
                blocks.push(start..block_end);
            }
            continue;
        }
        if starts_list_item(trimmed)
            && let Some(start) = block_start.take()
        {
            blocks.push(start..block_end);
        }
        if block_start.is_none() {
            block_start = Some(range.start);
        }
        block_end = range.end;
    }
    if let Some(start) = block_start {
        blocks.push(start..block_end);
    }
    blocks
}

fn starts_list_item(line: &str) -> bool {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '*' | '•' | '·' | '‣' | '–' | '—' | '◦' | '>') => {
            chars.next().is_none_or(char::is_whitespace)
        }
        Some(c) if c.is_ascii_digit() || c.is_ascii_alphabetic() => {
            // "1. ", "12) ", "a) " but not "a. b" prose or "10.0.0.1 is".
            let head: String = line.chars().take(4).collect();
            let marker_len = head.chars().take_while(|c| c.is_ascii_digit()).count();
            let (marker_len, numeric) = if marker_len == 0 {
                (1, false)
            } else {
                (marker_len, true)
            };
            let rest = &line[marker_len..];
            let mut rest_chars = rest.chars();
            match (rest_chars.next(), rest_chars.next()) {
                (Some(')'), Some(w)) if w.is_whitespace() => true,
                (Some('.'), Some(w)) if w.is_whitespace() => numeric,
                _ => false,
            }
        }
        _ => false,
    }
}

fn split_block(text: &str, block: Range<usize>, out: &mut Vec<Range<usize>>) {
    let slice = &text[block.clone()];
    let base = block.start;
    let mut sentence_start = 0;
    let mut iter = slice.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !TERMINATORS.contains(&c) {
            continue;
        }
        // Swallow runs of terminators and closing quotes/brackets: `?!`, `..."`, `.)`.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = iter.peek() {
            if TERMINATORS.contains(&d) || CLOSERS.contains(&d) {
                end = j + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let next = slice[end..].chars().next();
        if !next.is_none_or(char::is_whitespace) {
            continue; // 10.0.0.1, evil.com, v1.2, "a.b"
        }
        if c == '.' && !dot_ends_sentence(slice, i, end) {
            continue;
        }
        push_trimmed(base, &slice[sentence_start..end], sentence_start, out);
        sentence_start = end;
    }
    push_trimmed(base, &slice[sentence_start..], sentence_start, out);
}

fn dot_ends_sentence(slice: &str, dot: usize, end: usize) -> bool {
    // The whitespace before the word may be multi-byte (U+00A0, U+3000): skip the whole char.
    let word_start = slice[..dot]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(p, c)| p + c.len_utf8());
    let word: String = slice[word_start..dot]
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if ABBREVIATIONS.contains(&word.as_str()) {
        return false;
    }
    // Initials and dotted acronyms: "J.", "U.S.", "e.g." spelled with other letters.
    if !word.is_empty()
        && word
            .split('.')
            .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic))
    {
        return false;
    }
    // A lower-case next word means the dot belonged to an abbreviation we don't know.
    let next_word = slice[end..].trim_start();
    !next_word.chars().next().is_some_and(char::is_lowercase)
}

fn push_trimmed(base: usize, piece: &str, offset: usize, out: &mut Vec<Range<usize>>) {
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        let start = base + offset + lead;
        out.push(start..start + trimmed.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn splits_plain_prose() {
        assert_eq!(
            sentences("APT29 used PowerShell. It dumped LSASS! Was data exfiltrated? Yes."),
            [
                "APT29 used PowerShell.",
                "It dumped LSASS!",
                "Was data exfiltrated?",
                "Yes."
            ]
        );
    }

    #[test]
    fn keeps_abbreviations_and_dotted_tokens_together() {
        let text = "Tools, e.g. Mimikatz, i.e. a dumper, by Microsoft Corp. and Acme Inc. were seen. \
                    The beacon 10.0.0.1 contacted evil.example.com and ran rundll32.exe v1.2.3 from \
                    https://x.test/a.php?q=1. Next sentence.";
        assert_eq!(
            sentences(text),
            [
                "Tools, e.g. Mimikatz, i.e. a dumper, by Microsoft Corp. and Acme Inc. were seen.",
                "The beacon 10.0.0.1 contacted evil.example.com and ran rundll32.exe v1.2.3 from https://x.test/a.php?q=1.",
                "Next sentence."
            ]
        );
    }

    #[test]
    fn initials_and_lowercase_continuations_do_not_split() {
        assert_eq!(
            sentences("Report by J. Smith of the U.S. Army. Done."),
            ["Report by J. Smith of the U.S. Army.", "Done."]
        );
        assert_eq!(
            sentences("It ran approx. five times. Then stopped."),
            ["It ran approx. five times.", "Then stopped."]
        );
    }

    #[test]
    fn bullet_lists_and_paragraphs_split_without_punctuation() {
        let text = "Observed behaviour:\n- creates a scheduled task\n- deletes shadow copies\n* beacons over HTTPS\n1. first\n2) second\n\nNew paragraph without dot\nstill same paragraph";
        assert_eq!(
            sentences(text),
            [
                "Observed behaviour:",
                "- creates a scheduled task",
                "- deletes shadow copies",
                "* beacons over HTTPS",
                "1. first",
                "2) second",
                "New paragraph without dot\nstill same paragraph"
            ]
        );
    }

    #[test]
    fn no_punctuation_is_one_sentence_and_blank_is_none() {
        assert_eq!(
            sentences("  no punctuation at all here  "),
            ["no punctuation at all here"]
        );
        assert!(split_sentences(" \n\t \n").is_empty());
        assert!(split_sentences("").is_empty());
    }

    #[test]
    fn multibyte_whitespace_before_a_dotted_word() {
        assert_eq!(
            sentences("Ran\u{a0}evil.exe. Then\u{3000}left."),
            ["Ran\u{a0}evil.exe.", "Then\u{3000}left."]
        );
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        assert_eq!(
            sentences("He said \"run it.\" Then left."),
            ["He said \"run it.\"", "Then left."]
        );
    }

    #[test]
    fn unicode_is_handled_on_char_boundaries() {
        let text = "Ünïcödé 攻撃者は。 Next — with emoji 🦀. Last";
        let got = sentences(text);
        assert_eq!(got, ["Ünïcödé 攻撃者は。", "Next — with emoji 🦀.", "Last"]);
    }
}
