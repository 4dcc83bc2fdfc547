"""Text helpers shared by every app: the key that sorts people's and structures' names the
way a French reader expects.

Why a stored key rather than a database collation: SQLite has no accent-blind collation,
and PostgreSQL's depends on how the database was created (C, fr_FR, ICU...). The key is
computed once in Python, stored in an indexed column and compared as plain text.
"""

import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark, as a French
# reader would file them (after casefold: "ẞ" and "ß" are already "ss", "ſ" is "s").
SPECIAL_LETTERS = {
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "n",
    "ĸ": "k",
    "ƒ": "f",
    "ə": "e",
}

LETTER_CATEGORIES = frozenset({"Ll", "Lu", "Lt", "Lo"})


def _words(text: str) -> list[str]:
    """The words of `text`, lower-case, accents and marks dropped, special letters spelt
    out; anything that is neither a letter nor a digit (space, hyphen, apostrophe, dot...)
    separates words."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    words, current = [], []
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):
            continue
        if char in SPECIAL_LETTERS:
            current.append(SPECIAL_LETTERS[char])
        elif char.isascii() and char.isalnum():
            current.append(char.lower())
        elif category == "Nd":
            current.append(str(unicodedata.decimal(char)))
        elif category in LETTER_CATEGORIES:
            # A letter of another script (Greek, Cyrillic, Arabic...): kept as it is, so
            # such names sort after the Latin ones, among themselves by code point.
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def french_sort_key(*parts: str) -> str:
    """Sort key of a name made of `parts` (last name, then first name; or a structure's name).

    Compared as plain text (SQLite BINARY, PostgreSQL "C" or any glibc/ICU locale: the key
    holds only a-z, 0-9 and spaces, which all of them order alike), keys sort the names:
    - case, accents and marks ignored: « Öztürk » among the O, « Čapek » among the C;
      « œ », « æ », « ß », « ł », « ø »... spelt out (oe, ae, ss, l, o);
    - letter by letter as in a French dictionary: spaces, hyphens and apostrophes are
      ignored first (« Lefèvre » < « Le Gall » < « Leroy », « O'Brien » among « Obr… »),
      then only break ties (« Le Gall » just before « Legall »);
    - part by part: the last name decides, then the first name (« Martin Zoé » before
      « Martinez Anne »).

    The key is two levels, separated by two spaces: the parts' letters without word breaks
    (one space between parts), then the parts' words (one space between words and parts).
    Changing this function requires a data migration recomputing the stored keys.
    """
    folded = [_words(part or "") for part in parts]
    primary = " ".join("".join(words) for words in folded)
    secondary = " ".join(" ".join(words) for words in folded)
    return f"{primary}  {secondary}"
