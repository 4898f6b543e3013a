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
    sentences(text).collect()
}

/// [`split_sentences`] one sentence at a time: memory stays constant however long the text.
pub fn sentences(text: &str) -> Sentences<'_> {
    Sentences {
        text,
        blocks: Blocks { text, pos: 0 },
        block: None,
    }
}

/// Iterator over a text's sentences (see [`sentences`]).
#[derive(Debug, Clone)]
pub struct Sentences<'a> {
    text: &'a str,
    blocks: Blocks<'a>,
    /// The block being split and the offset (absolute) where its next sentence starts.
    block: Option<(Range<usize>, usize)>,
}

impl Iterator for Sentences<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        loop {
            if self.block.is_none() {
                let block = self.blocks.next()?;
                let start = block.start;
                self.block = Some((block, start));
            }
            let (block, cursor) = self.block.as_mut().expect("set above");
            if let Some(sentence) = next_in_block(self.text, block, cursor) {
                return Some(sentence);
            }
            self.block = None;
        }
    }
}

/// The text's blocks, split at blank lines and at lines that start a list item, one at a time.
#[derive(Debug, Clone)]
struct Blocks<'a> {
    text: &'a str,
    /// Start of the next line to look at.
    pos: usize,
}

impl Iterator for Blocks<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let text = self.text;
        let mut block_start: Option<usize> = None;
        let mut block_end = 0;
        while self.pos < text.len() {
            let line_end = text[self.pos..]
                .find('\n')
                .map_or(text.len(), |i| self.pos + i + 1);
            let trimmed = text[self.pos..line_end].trim();
            if trimmed.is_empty() {
                self.pos = line_end;
                if let Some(start) = block_start {
                    return Some(start..block_end);
                }
                continue;
            }
            if starts_list_item(trimmed)
                && let Some(start) = block_start
            {
                // The list item starts the next block: leave `pos` on it.
                return Some(start..block_end);
            }
            if block_start.is_none() {
                block_start = Some(self.pos);
            }
            block_end = line_end;
            self.pos = line_end;
        }
        block_start.map(|start| start..block_end)
    }
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

/// The next non-empty sentence of `block` at or after `*cursor` (absolute offsets), advancing the
/// cursor past it; `None` when the block is used up.
fn next_in_block(text: &str, block: &Range<usize>, cursor: &mut usize) -> Option<Range<usize>> {
    let slice = &text[block.clone()];
    let base = block.start;
    loop {
        let sentence_start = *cursor - base;
        if sentence_start >= slice.len() {
            *cursor = block.end;
            return None;
        }
        let mut found = None;
        let mut iter = slice[sentence_start..]
            .char_indices()
            .map(|(i, c)| (i + sentence_start, c))
            .peekable();
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
            found = Some(end);
            break;
        }
        let end = found.unwrap_or(slice.len());
        *cursor = base + end;
        if let Some(range) = trimmed(base, &slice[sentence_start..end], sentence_start) {
            return Some(range);
        }
        // The rest of the block was whitespace.
        found?;
    }
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

fn trimmed(base: usize, piece: &str, offset: usize) -> Option<Range<usize>> {
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    (!trimmed.is_empty()).then(|| {
        let start = base + offset + lead;
        start..start + trimmed.len()
    })
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

    #[test]
    fn lazy_and_collected_agree_on_lists_and_blank_lines() {
        let text = "Alpha. Beta c.\n\n- x\n- yes. Zed\n  \n1) one\nmore. Last";
        let all = split_sentences(text);
        assert_eq!(super::sentences(text).collect::<Vec<_>>(), all);
        assert_eq!(
            all.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(),
            [
                "Alpha.",
                "Beta c.",
                "- x",
                "- yes.",
                "Zed",
                "1) one\nmore.",
                "Last"
            ]
        );
    }
}
