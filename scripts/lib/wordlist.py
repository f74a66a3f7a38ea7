"""Builds the codename word list (docs/formats.md §12) from Debian's `wspanish` word list, ranked
by how common each word is in Spanish according to wordfreq 3.1.1. Run by scripts/gen-wordlist;
the output is committed, so nothing here runs at build or test time.

Rules, in order:
1. Lower-case entries only (no proper nouns), without ñ (its normalised form would be n).
2. Normalised as codenames are (NFKD, combining marks removed, lower case): only a–z, 4 to 8 letters.
3. One entry per normalised form (papá and papa are one word: the defender may type either).
4. A plural whose singular is also a candidate is dropped (casa, not casas), so a misremembered
   plural cannot be another valid word.
5. The 7,776 most frequent by wordfreq's Zipf value for Spanish; ties by the word itself.
"""
import sys
import unicodedata

import wordfreq

COUNT = 7776


def normalise(word):
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def build(source):
    candidates = set()
    for line in open(source, encoding="utf-8"):
        word = line.strip()
        if not word or word != word.lower() or "ñ" in word:
            continue
        n = normalise(word)
        if 4 <= len(n) <= 8 and all("a" <= c <= "z" for c in n):
            candidates.add(n)
    plurals = {w for w in candidates if (w.endswith("s") and w[:-1] in candidates) or (w.endswith("es") and w[:-2] in candidates)}
    ranked = sorted(candidates - plurals, key=lambda w: (-wordfreq.zipf_frequency(w, "es"), w))
    chosen = ranked[:COUNT]
    if len(chosen) != COUNT:
        sys.exit("wordlist: only %d candidates" % len(chosen))
    return sorted(chosen)


if __name__ == "__main__":
    words = build(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        out.write("\n".join(words) + "\n")
    print("wordlist: %d words, the rarest with Zipf %.2f" % (len(words), min(wordfreq.zipf_frequency(w, "es") for w in words)))
