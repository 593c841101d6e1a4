// Package vntext is the one Vietnamese text normalizer of Lắng Nghe, shared by the crawler,
// the classifier, the indexer and the query parser (../shared/DESIGN.md, "Vietnamese
// text"). It sits at the bottom of the module: it imports only the standard library and
// golang.org/x/text, and every package that touches Vietnamese text goes through it.
//
// Its output is part of the stored data (text_folded), so changing a rule here changes
// what existing indices match: treat it like a schema.
//
// What it offers:
//   - Normalize, Fold: character-level canonical and accent-free forms of a text.
//   - Tokenize, FoldedText, EachToken, Tokenizer: syllables (and emoji, emoticons) with
//     byte offsets into the original text, teencode expanded ("ko" → "không").
//   - DetectLegacy, FixLegacy, DecodeLegacy: TCVN3, VNI and VIQR to Unicode.
//   - SymbolTable: the fast syllable → id table the matchers key on.
//   - MeasureNormalizer, MeasureNormalizerFunc, ReadNormPairs: the error reduction rate
//     of a normalizer against reference pairs.
//   - LexNormModel, TrainLexNorm: an opt-in normalizer learned from such pairs; it does
//     not change what Tokenize returns.
//
// Conventions:
//   - Unicode: NFC. Precomposed and decomposed input (NFD, or the combining tone marks
//     that Windows-1258 keyboards produce) give the same result.
//   - Tone-mark placement: the classic placement that most Vietnamese text uses, with the
//     tone on the first vowel of the open diphthongs oa, oe, uy: "hòa", "khỏe", "thủy".
//     "hoà", "khoẻ", "thuỷ" (and misplaced marks such as "hòang") are rewritten to it.
//     Precisely: in the vowel nucleus (after the onset glides of "qu" and "gi"), a vowel
//     with a circumflex, breve or horn takes the tone (the ơ of ươ); otherwise a syllable
//     with a final consonant puts it on the last vowel ("hoàng"), and an open one on the
//     first of two vowels or the middle of three ("hoài", "khuỷu"). Words that do not parse
//     as one Vietnamese syllable keep their marks where they are.
//   - Case: lowercase.
//   - Invalid UTF-8 never panics: Normalize and Fold replace it with U+FFFD, Tokenize skips it.
package vntext
