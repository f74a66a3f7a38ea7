"""Builds the codename word list (docs/formats.md §12) from Debian's `wspanish` word list, ranked
by how common each word is in Spanish according to wordfreq 3.1.1. Run by scripts/gen-wordlist;
the output is committed, so nothing here runs at build or test time.

Rules, in order:
1. Lower-case entries only (no proper nouns), without ñ (its normalised form would be n).
2. Normalised as codenames are (NFKD, combining marks removed, lower case): only a–z, 4 to 8 letters.
3. One entry per normalised form (papá and papa are one word: the defender may type either).
4. A plural whose singular is also a candidate is dropped (casa, not casas), so a misremembered
   plural cannot be another valid word.
5. No word that touches violence, death, sex, drugs, insults, prisons or the security forces: a
   defender who has just been threatened should not be handed "suicidio" or "bala" to keep. A
   word is dropped when it contains any of BLOCKED (so some innocent words go too: "vehiculo"
   contains "culo"; there are plenty of others).
6. The 7,776 most frequent by wordfreq's Zipf value for Spanish; ties by the word itself.
"""
import sys
import unicodedata

import wordfreq

COUNT = 7776

BLOCKED = (
    # death and violence
    "muert", "morir", "muere", "murio", "mata", "matan", "matar", "mate", "asesin", "suicid", "homicid", "femini", "cadaver",
    "difunt", "fallec", "tumba", "entierr", "enterr", "funer", "luto", "cementer", "sangr", "herid", "golpe", "golpiz",
    "tortur", "secuestr", "desapare", "amenaz", "ataque", "atacar", "violen", "violac", "violad", "violar", "abus", "acos",
    "agresi", "agred", "pelea", "odio", "odia", "masacr", "degoll", "ahorc", "ahoga", "quema", "fuego", "incend", "explos",
    "bomba", "arma", "pistol", "bala", "fusil", "rifle", "disparo", "tiro", "escopet", "cuchill", "navaja", "machete",
    "punal", "veneno", "guerra", "batalla", "terror", "miedo", "panico", "llanto", "dolor", "sufri", "cancer", "sida",
    "enferm", "infierno", "diablo", "demoni", "satan",
    # crime, prison, the security forces
    "crimen", "crimin", "delit", "delinc", "carcel", "prision", "preso", "reo", "condena", "polic", "milit", "soldad",
    "ejercito", "patrull", "deten", "captur", "arrest", "narco", "sicari", "cartel", "mafia", "pandill", "marero", "ladron", "robo", "roba",
    # drugs
    "droga", "cocain", "heroin", "marihuan", "mariguan", "borrach", "alcohol",
    # sex and insults
    "sexo", "sexual", "sexy", "porno", "puta", "puto", "perra", "zorra", "cabron", "pendej", "mierda", "culo", "verga",
    "pene", "vagina", "teta", "chinga", "joder", "jodi", "maric", "idiot", "estupid", "imbecil", "tonta", "tonto", "gorda",
    "gordo", "fea", "feo", "loca", "loco", "basura", "escoria", "bastard", "nazi", "racis", "esclav", "negro", "negra", "indio",
)


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
        if 4 <= len(n) <= 8 and all("a" <= c <= "z" for c in n) and not any(b in n for b in BLOCKED):
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
