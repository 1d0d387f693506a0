"""Korean full-text search for the site: a Hangul word is found whatever particle follows it.

Sphinx has no Korean search language, so ``language = "ko"`` falls back to English, which
indexes "모델을" and "모델이" as words of their own, and its page only matches part of a word for
queries longer than two letters: "모델" finds none of them. This extension registers a search
language for "ko" that

* splits text into runs of Hangul and runs of other letters ("PyTorch의" is "PyTorch", "의");
* stems a Hangul word by stripping the particles and endings at its end ("모델에서는" → "모델",
  "실행합니다" → "실행"), with the same rules in Python (index) and JavaScript (query);
* also indexes the leading syllables of a long Hangul stem ("합성곱층" → "합성", "합성곱"), because
  Korean compounds put the modifier first and the page matches a query inside a word only when
  no indexed word is exactly the query;
* leaves other words to Sphinx's English stemmer and stopwords.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any

from sphinx import package_dir
from sphinx.search.en import SearchEnglish

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# What the syllable before an ending must look like: with a final consonant (받침, "모델을"),
# without one ("그래프를"), without one or with ㄹ ("파일로"), or anything.
CONSONANT, VOWEL, VOWEL_OR_RIEUL, ANY = "consonant", "vowel", "vowel-or-rieul", "any"


def _rules(after: str, left: int, endings: str) -> list[tuple[str, str, int]]:
    return [(ending, after, left) for ending in endings.split()]


#: (particle, syllable before it, syllables that must remain).
PARTICLE_RULES = (
    # Case particles whose form follows the syllable before them: one syllable may remain
    # ("값을", "층은"), as that check already rules out most look-alikes.
    _rules(CONSONANT, 1, "을 은 이 과 으로")
    + _rules(VOWEL, 1, "를 는 가 와")
    + _rules(VOWEL_OR_RIEUL, 1, "로")
    # Copula forms and particles that also end many plain words: two syllables remain.
    + _rules(CONSONANT, 2, "이나 이며 이면 이든 이란 이라 이라는 이라고 이라면 이다 이고")
    + _rules(CONSONANT, 2, "으로서 으로써")
    + _rules(VOWEL, 2, "나 며 면 든 란 라는 라고 라면")
    + _rules(VOWEL_OR_RIEUL, 2, "로서 로써")
    + _rules(ANY, 2, "의 에 에서 에게 께 께서 한테 도 만 까지 부터 보다 처럼 마다 조차 마저")
    + _rules(ANY, 2, "밖에 뿐 씩 대로 만큼 들 인 인지 입니다 이었다 였다")
)
#: 하다 and 되다 make verbs of nouns: "실행합니다", "저장되며".
VERB_RULES = _rules(
    ANY,
    2,
    "하다 합니다 하는 하고 하여 해서 하면 하며 하지 하기 한다 했다 했습니다 하세요 하십시오 "
    "한 할 함 해 해야 해도 하려면 하므로 하거나 했다면 했거나 되다 됩니다 되는 되어 되고 "
    "되면 되며 되지 된다 되었다 되었습니다 된 될 됨 되므로 시킵니다 시킴",
)
#: Both, longest first.
ENDINGS = sorted(PARTICLE_RULES + VERB_RULES, key=lambda rule: -len(rule[0]))
#: On their own (after a latin word: "PyTorch의") particles are not worth indexing.
PARTICLES = frozenset(particle for particle, _, _ in PARTICLE_RULES)

HANGUL_WORD = re.compile(r"[가-힣]+")
WORD = re.compile(r"[가-힣]+|[^\W가-힣]+")


def _fits(syllable: str, after: str) -> bool:
    final = (ord(syllable) - 0xAC00) % 28  # 0: no final consonant, 8: ㄹ
    if after == CONSONANT:
        return final != 0
    if after == VOWEL:
        return final == 0
    if after == VOWEL_OR_RIEUL:
        return final in (0, 8)
    return True


def stem_korean(word: str) -> str:
    """Strip particles and endings from the end of a Hangul word until none applies."""
    stripped = True
    while stripped:
        stripped = False
        for ending, after, left in ENDINGS:
            rest = len(word) - len(ending)
            if rest >= left and word.endswith(ending) and _fits(word[rest - 1], after):
                word, stripped = word[:rest], True
                break
    return word


def compound_prefixes(word: str) -> list[str]:
    """The leading syllables (two or more) of a Hangul word's stem: "합성곱층은" → 합성, 합성곱."""
    stem = stem_korean(word)
    return [stem[:n] for n in range(2, len(stem))]


# The same rules for the query words typed in the search page. ``splitQuery`` replaces
# searchtools.js's own (it is declared with ``var`` there, and this file loads after it).
JS_SPLITTER = r"""
var splitQuery = (query) =>
  query.match(/[\uAC00-\uD7A3]+|(?:(?![\uAC00-\uD7A3])[\p{L}\p{N}_])+/gu) || [];
"""

JS_STEMMER = """
const KOREAN_ENDINGS = %s;
const fitsKorean = (syllable, after) => {
  const final = (syllable.charCodeAt(0) - 0xac00) %% 28;
  if (after === "consonant") return final !== 0;
  if (after === "vowel") return final === 0;
  if (after === "vowel-or-rieul") return final === 0 || final === 8;
  return true;
};
const stemKorean = (word) => {
  let stripped = true;
  while (stripped) {
    stripped = false;
    for (const [ending, after, left] of KOREAN_ENDINGS) {
      const rest = word.length - ending.length;
      if (rest >= left && word.endsWith(ending) && fitsKorean(word[rest - 1], after)) {
        word = word.slice(0, rest);
        stripped = true;
        break;
      }
    }
  }
  return word;
};
var Stemmer = function () {
  const english = new EnglishStemmer();
  this.stemWord = (word) =>
    /^[\\uAC00-\\uD7A3]+$/.test(word) ? stemKorean(word) : english.stemWord(word);
};
"""


class SearchKorean(SearchEnglish):
    lang = "ko"
    language_name = "Korean"
    js_stemmer_rawcode = ""  # our Stemmer wraps the English one; see __init__
    js_splitter_code = JS_SPLITTER
    stopwords = SearchEnglish.stopwords | PARTICLES

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__(options)
        snowball = package_dir / "search" / "minified-js"
        self.js_stemmer_code = "\n".join(
            [
                (snowball / "base-stemmer.js").read_text(encoding="utf-8"),
                (snowball / "english-stemmer.js").read_text(encoding="utf-8"),
                JS_STEMMER % json.dumps(ENDINGS, ensure_ascii=False),
            ]
        )

    def split(self, input: str) -> list[str]:
        words: list[str] = []
        for word in WORD.findall(input):
            words.append(word)
            if HANGUL_WORD.fullmatch(word):
                words.extend(compound_prefixes(word))
        return words

    def stem(self, word: str) -> str:
        if HANGUL_WORD.fullmatch(word):
            return stem_korean(word)
        return super().stem(word)


#: Sphinx's Korean catalogue leaves the search page's summary line empty ("Search finished,
#: found N pages ..."); the catalogue has one plural form, so one text serves every count.
SEARCH_MESSAGES = {
    "Search finished, found one page matching the search query.": [
        "검색을 마쳤습니다. 검색어와 일치하는 페이지를 ${resultCount}개 찾았습니다."
    ],
}


def add_search_messages(
    app: Sphinx, pagename: str, _template: str, _context: dict[str, Any], _doctree: Any
) -> None:
    if pagename == "search" and app.config.language == "ko":
        catalog = {"locale": "ko", "messages": SEARCH_MESSAGES, "plural_expr": "0"}
        # After the deferred scripts (doctools.js, translations.js) and before any search ends.
        body = (
            'document.addEventListener("DOMContentLoaded", () => '
            f"Documentation.addTranslations({json.dumps(catalog, ensure_ascii=False)}));"
        )
        app.add_js_file(None, body=body)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_search_language(SearchKorean)
    app.connect("html-page-context", add_search_messages)
    # Pages indexed under other rules would keep their old words: new rules, new environment.
    rules = zlib.crc32(json.dumps(ENDINGS).encode())
    return {"env_version": rules, "parallel_read_safe": True, "parallel_write_safe": True}
