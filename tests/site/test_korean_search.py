"""The docs site's Korean search (docs/_ext/korean_search.py): a Hangul word finds every page
that uses it, whatever particle or ending follows it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tests.browser import page_url, requires_chromium

DOCS = Path(__file__).parents[2] / "docs"
EXTENSIONS = DOCS / "_ext"


def _load_extension() -> ModuleType:
    spec = importlib.util.spec_from_file_location("korean_search", EXTENSIONS / "korean_search.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


korean_search = _load_extension()
language = korean_search.SearchKorean({})
stem, split = language.stem, language.split

# The first sentences of docs/index.md.
INDEX_SENTENCE = (
    "문서에 모델을 가리키는 지시문 하나를 쓰면, 빌드할 때마다 확장이 모델을 만들고 더미 입력으로 "
    "한 번 실행한 뒤 그래프를 잡아 Graphviz 그림으로 페이지에 넣습니다. PyTorch 모델은 torchviz의 "
    "autograd 그래프로, TensorFlow/Keras 모델은 `plot_model`과 같은 그래프로 그립니다."
)


def _with_particle(noun: str, after_consonant: str, after_vowel: str) -> str:
    """Attach the form of a particle that Korean grammar picks after ``noun``."""
    final = (ord(noun[-1]) - 0xAC00) % 28
    rieul_takes_vowel_form = after_vowel == "로" and final == 8  # 파일로, not 파일으로
    return noun + (after_vowel if final == 0 or rieul_takes_vowel_form else after_consonant)


# -- the Python stemmer ------------------------------------------------------------------------


def test_nouns_in_a_docs_sentence_lose_their_particles() -> None:
    stems = {word: stem(word) for word in korean_search.WORD.findall(INDEX_SENTENCE)}

    assert stems["문서에"] == "문서"
    assert stems["모델을"] == stems["모델은"] == "모델"
    assert stems["하나를"] == "하나"
    assert stems["확장이"] == "확장"
    assert stems["입력으로"] == "입력"
    assert stems["그래프를"] == stems["그래프로"] == "그래프"
    assert stems["그림으로"] == "그림"
    assert stems["페이지에"] == "페이지"
    assert stems["지시문"] == "지시문"


def test_verbs_made_of_nouns_lose_their_endings() -> None:
    assert stem("빌드할") == stem("빌드하면") == stem("빌드합니다") == "빌드"
    assert stem("실행한") == stem("실행합니다") == stem("실행되며") == "실행"
    assert stem("그래프입니다") == "그래프"


def test_stacked_particles_are_all_stripped() -> None:
    assert stem("모델에서는") == stem("모델이라면") == stem("모델까지의") == "모델"
    assert stem("입력으로는") == "입력"
    assert stem("그림에만") == stem("그림들은") == "그림"


@pytest.mark.parametrize(
    "noun",
    ["모델", "입력", "그래프", "가중치", "이미지", "합성곱층", "파일", "정도", "하나", "사이"],
)
def test_a_noun_and_the_noun_with_any_particle_stem_alike(noun: str) -> None:
    forms = [
        _with_particle(noun, consonant, vowel)
        for consonant, vowel in [
            ("을", "를"), ("은", "는"), ("이", "가"), ("과", "와"), ("으로", "로"),
            ("이나", "나"), ("이라는", "라는"), ("으로는", "로는"),
        ]
    ]  # fmt: skip
    forms += [noun + particle for particle in ["의", "에", "에서", "도", "만", "까지", "처럼"]]

    assert {form: stem(form) for form in forms} == dict.fromkeys(forms, stem(noun))


def test_words_that_merely_end_like_a_particle_keep_their_last_syllable() -> None:
    # The particle 이 follows only a final consonant (사이, 나이); 나, 의 and 도 must leave two
    # syllables (하나, 정의, 정도).
    words = ["사이", "나이", "하나", "정의", "정도", "속도", "이미지"]

    assert [stem(word) for word in words] == words


def test_one_syllable_nouns_lose_their_particles() -> None:
    assert stem("값을") == stem("값이") == "값"
    assert stem("층은") == stem("층과") == "층"


def test_latin_words_use_the_english_stemmer() -> None:
    assert stem("Models") == "model"
    assert stem("running") == "run"


def test_text_splits_between_scripts_and_adds_compound_prefixes() -> None:
    words = split("PyTorch의 합성곱층은 32개")

    assert words == ["PyTorch", "의", "합성곱층은", "합성", "합성곱", "32", "개"]


def test_particles_alone_are_stopwords() -> None:
    assert not language.word_filter("의")
    assert not language.word_filter("the")
    assert language.word_filter("모델")


# -- the JavaScript stemmer (the search page's query words) ------------------------------------


def _docs_hangul_words() -> list[str]:
    pages = [page for page in sorted(DOCS.rglob("*.md")) if "_build" not in page.parts]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    return sorted(set(korean_search.HANGUL_WORD.findall(text)))


@requires_chromium
def test_javascript_stems_and_splits_like_python(chromium: object) -> None:
    words = [*_docs_hangul_words(), "Models", "running", "합성곱층은"]
    assert len(words) > 300
    page = chromium.new_page()
    try:
        page.add_script_tag(content=language.js_stemmer_code + language.js_splitter_code)
        js_stems = page.evaluate(
            "ws => ws.map(w => new Stemmer().stemWord(w.toLowerCase()))", words
        )
        js_split = page.evaluate("splitQuery", INDEX_SENTENCE)
    finally:
        page.close()

    assert dict(zip(words, js_stems, strict=True)) == {w: stem(w) for w in words}
    assert js_split == korean_search.WORD.findall(INDEX_SENTENCE)


# -- the search page of a built site -----------------------------------------------------------

PAGES = {
    "index.rst": """
        검색 시험
        =========

        .. toctree::

           cnn
           keras
           graph
           other
        """,
    # On these two pages 모델, 입력 and 합성곱 appear only with something attached.
    "cnn.rst": """
        첫째 예제
        =========

        합성곱층은 입력을 받아 특징 지도를 만듭니다. 이 모델은 작습니다.
        """,
    "keras.rst": """
        둘째 예제
        =========

        Keras 모델을 그릴 때 입력으로 이미지를 주고, 합성곱에서 나온 값을 봅니다.
        """,
    # Bare 합성곱: Sphinx then skips its match inside longer words ("합성곱층은").
    "graph.rst": """
        셋째 예제
        =========

        합성곱 연산의 그래프를 그립니다.
        """,
    "other.rst": """
        기타
        ====

        Graphviz의 dot 프로그램이 있어야 합니다 (Graphviz programs).
        """,
}


@pytest.fixture(scope="module")
def korean_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Korean site with the extension, built in another process (Sphinx keeps search
    languages in a process-wide registry)."""
    root = tmp_path_factory.mktemp("korean-search")
    source, html = root / "src", root / "html"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXTENSIONS)!r})\n"
        'language = "ko"\nextensions = ["korean_search"]\nhtml_show_search_summary = False\n',
        encoding="utf-8",
    )
    for name, text in PAGES.items():
        (source / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(html)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return html


def search(browser: object, site: Path, query: str) -> set[str]:
    """The pages (without ``.html``) that the site's search page lists for ``query``."""
    return search_page(browser, site, query)[0]


def search_page(browser: object, site: Path, query: str) -> tuple[set[str], str]:
    """The pages the site's search page lists for ``query``, and its summary line."""
    page = browser.new_page()
    try:
        page.goto(f"{page_url(site, 'search')}?q={query}")
        # searchtools.js replaces the "Searching..." title (and its dots) once it is done.
        page.wait_for_function(
            "document.querySelector('#search-results h2')"
            " && !document.querySelector('#search-results h2 span')"
        )
        links = page.eval_on_selector_all(
            "#search-results ul.search li > a", "links => links.map(a => a.getAttribute('href'))"
        )
        summary = page.inner_text("#search-results p.search-summary")
    finally:
        page.close()
    return {re.sub(r"\.html(#.*)?$", "", link) for link in links}, summary


@requires_chromium
@pytest.mark.parametrize(
    ("query", "pages"),
    [
        ("모델", {"cnn", "keras"}),
        ("입력", {"cnn", "keras"}),
        ("합성곱", {"cnn", "keras", "graph"}),
        ("그래프", {"graph"}),
        ("모델을", {"cnn", "keras"}),
        ("합성곱층", {"cnn"}),
        ("프로그램", {"other"}),
        ("Graphviz", {"other"}),
        ("program", {"other"}),
        ("트랜스포머", set()),
    ],
)
def test_search_page_finds_korean_words_whatever_follows_them(
    chromium: object,
    korean_site: Path,
    query: str,
    pages: set[str],
) -> None:
    assert search(chromium, korean_site, query) == pages


def _pages_using(site: Path, word: str) -> set[str]:
    """Pages whose article has a Hangul word that starts with ``word`` ("입력을", "입력층")."""
    starts = re.compile(rf"(?<![가-힣]){word}")
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    pages = set()
    for page in json.loads(index.removeprefix("Search.setIndex(").removesuffix(")"))["docnames"]:
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        article = re.search(r"<article.*?</article>", text, re.S)
        if article and starts.search(re.sub(r"<[^>]+>", " ", article[0])):
            pages.add(page)
    return pages


@requires_chromium
@pytest.mark.parametrize("word", ["입력", "그래프"])
def test_docs_site_search_finds_every_page_using_a_two_syllable_word(
    chromium: object,
    docs_site: Path,
    word: str,
) -> None:
    expected = _pages_using(docs_site, word)
    assert len(expected) >= 3

    assert search(chromium, docs_site, word) == expected


@requires_chromium
def test_the_search_page_says_in_korean_how_many_pages_it_found(
    chromium: object,
    docs_site: Path,
) -> None:
    pages, summary = search_page(chromium, docs_site, "그래프")
    assert summary == f"검색을 마쳤습니다. 검색어와 일치하는 페이지를 {len(pages)}개 찾았습니다."
