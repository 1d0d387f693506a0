#!/usr/bin/env bash
# Builds sphinx_archviz/static/archviz-graphviz.js: Graphviz's dot layout and SVG output (and
# expat, for HTML-like labels), compiled to WebAssembly with Debian's emscripten from Debian's
# Graphviz 2.42.2 (the family of the `dot` that draws first sights at build time). Only what
# `dot -Tsvg` needs is compiled: no other layout engine, renderer or image loader.
#
#   bash js/graphviz-wasm/build.sh      (or `nox -s graphviz-wasm`; needs Debian 12 and root)
#
# The result is committed, so neither CI nor an install needs emscripten. Sources are Debian's
# source packages, pinned by version and checked by sha256; the work happens in $BUILD.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${ARCHVIZ_WASM_BUILD:-/tmp/archviz-graphviz-wasm}
OUT=${1:-$ROOT/sphinx_archviz/static/archviz-graphviz.js}

GRAPHVIZ=2.42.2-7+deb12u1
EXPAT=2.5.0-1+deb12u2

tools_missing() {
  for tool in emcc bison flex awk perl node dpkg-source; do
    command -v "$tool" >/dev/null || return 0
  done
  return 1
}
if tools_missing; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q emscripten node-acorn bison flex gawk perl dpkg-dev
fi

mkdir -p "$BUILD"
cd "$BUILD"
# Debian's source packages (a deb-src entry for bookworm is added if apt has none).
if ! ls graphviz_2.42.2.orig.tar.bz2 expat_2.5.0.orig.tar.gz >/dev/null 2>&1; then
  if ! grep -rqs '^\(deb-src\|Types: deb-src\)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      >/etc/apt/sources.list.d/archviz-deb-src.sources
    apt-get update -q
  fi
  apt-get source -q --download-only "graphviz=$GRAPHVIZ" "expat=$EXPAT"
fi
sha256sum --check --strict --quiet "$HERE/sources.sha256"
rm -rf graphviz expat
dpkg-source --no-check -x "graphviz_$GRAPHVIZ.dsc" graphviz >/dev/null
dpkg-source --no-check -x "expat_$EXPAT.dsc" expat >/dev/null
# Ours: network simplex renumbers only the part of the tree a pivot changes (the same numbers,
# several times faster on tall states).
patch -s -d graphviz -p1 <"$HERE/ns-renumber.patch"

# What Graphviz's makefiles generate: the DOT and HTML-label parsers, the colour and font tables.
G=$BUILD/graphviz
GEN=$BUILD/generated
rm -rf "$GEN" && mkdir -p "$GEN" && cd "$GEN"
bison -dy "$G/lib/cgraph/grammar.y" -o y.tab.c
sed 's/yy/aag/g; s/unsigned long int/uint64_t/g; s/unsigned long/uint64_t/g' y.tab.c >grammar.c
sed 's/yy/aag/g; s/unsigned long int/uint64_t/g; s/unsigned long/uint64_t/g' y.tab.h >grammar.h
flex -i -o lex.yy.c "$G/lib/cgraph/scan.l"
sed 's/yy/aag/g; /extern.*isatty/d' lex.yy.c >scan.c
bison -dy "$G/lib/common/htmlparse.y" -o y.tab.c
sed 's/yy/html/g; s/unsigned long int/uint64_t/g; s/unsigned long/uint64_t/g' y.tab.c >htmlparse.c
sed 's/yy/html/g; s/unsigned long int/uint64_t/g; s/unsigned long/uint64_t/g' y.tab.h >htmlparse.h
# Colours: the X11 names (Graphviz's default scheme), not the ColorBrewer and SVG schemes
# (colorscheme=), which no diagram uses and which would be a fifth of the WebAssembly.
LC_ALL=C sort "$G/lib/common/color_names" >color_lib
awk -f "$G/awk/colortbl.awk" color_lib >colortbl.h
cp "$G/lib/common/ps_fontmap.txt" ps_font_equiv.h
(cd "$G/lib/common" && perl mksvgfonts.pl fontmap.cfg ps_font_equiv.txt) | LC_ALL=C sort >>ps_font_equiv.h
cp "$HERE/config.h" "$HERE/expat_config.h" .
echo "#define BUILDDATE \"\"" >builddate.h

# Compile and link.
sources=(
  "$G"/lib/cdt/*.c
  "$G"/lib/cgraph/{agerror,agxbuf,apply,attr,edge,flatten,graph,id,imap,io,mem,node,obj}.c
  "$G"/lib/cgraph/{pend,rec,refstr,subg,utils,write}.c grammar.c scan.c
  "$G"/lib/common/{arrows,colxlate,ellipse,textspan,args,memory,globals,htmllex,htmltable}.c
  "$G"/lib/common/{input,pointset,intset,postproc,routespl,splines,psusershape,timing}.c
  "$G"/lib/common/{labels,ns,shapes,utils,geom,taper,output,emit}.c htmlparse.c
  "$G"/lib/dotgen/*.c
  "$G"/lib/gvc/{gvc,gvconfig,gvcontext,gvdevice,gvjobs,gvlayout,gvloadimage,gvplugin,gvrender}.c
  "$G"/lib/gvc/gvtextlayout.c "$HERE/left_out.c"
  "$G"/lib/label/{index,node,rectangle,split.q,xlabels}.c
  "$G"/lib/ortho/*.c
  "$G"/lib/pack/{ccomps,pack}.c
  "$G"/lib/pathplan/*.c
  "$G"/lib/xdot/xdot.c
  "$G"/plugin/core/gvrender_core_svg.c
  "$G"/plugin/dot_layout/gvlayout_dot_layout.c
  "$BUILD"/expat/expat/lib/{xmlparse,xmlrole,xmltok}.c
  "$HERE/archviz_layout.c"
)
includes=(-I"$GEN" -I"$G" -I"$BUILD"/expat/expat/lib)
for library in cdt cgraph common dotgen gvc label ortho pack pathplan xdot fdpgen; do
  includes+=(-I"$G/lib/$library")
done
export NODE_PATH=/usr/share/nodejs  # the acorn emcc minifies JavaScript with
OPTIMIZE=${ARCHVIZ_WASM_OPTIMIZE:--Oz}  # and ARCHVIZ_WASM_FLAGS: more flags, for experiments
emcc $OPTIMIZE ${ARCHVIZ_WASM_FLAGS:-} -flto "${includes[@]}" -DHAVE_CONFIG_H -DNDEBUG \
  -w "${sources[@]}" -o archviz-graphviz-glue.js \
  -sMODULARIZE -sEXPORT_NAME=archvizGraphvizModule -sENVIRONMENT=web -sFILESYSTEM=0 \
  -sALLOW_MEMORY_GROWTH -sEXPORTED_FUNCTIONS=_archviz_layout,_archviz_errors,_malloc,_free \
  -sEXPORTED_RUNTIME_METHODS=stringToUTF8,lengthBytesUTF8,UTF8ToString \
  -sINCOMING_MODULE_JS_API=instantiateWasm -sDYNAMIC_EXECUTION=0 -sTEXTDECODER=2
node "$HERE/package.mjs" archviz-graphviz-glue.js archviz-graphviz-glue.wasm "$OUT"
ls -l "$OUT"
