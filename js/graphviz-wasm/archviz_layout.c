/* The entry of the WebAssembly Graphviz (build.sh): DOT text in, SVG out, with the dot layout,
   the SVG renderer and a text layout that measures text in the browser's own fonts as the only
   plugins. */
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>
#include <const.h>
#include <gvc.h>
#include <gvplugin.h>
#include <gvplugin_textlayout.h>

extern gvplugin_installed_t gvdevice_svg_types[];
extern gvplugin_installed_t gvrender_svg_types[];
extern gvplugin_installed_t gvlayout_dot_layout[];

/* The width of ``text`` in the browser's font ``family`` (a CSS list, as Graphviz writes it in
   the SVG) at ``size`` CSS pixels: a canvas measures it. */
EM_JS(double, browser_text_width,
      (const char *text, const char *family, double size, int bold, int italic), {
        var canvas = Module.textCanvas;
        if (!canvas) canvas = Module.textCanvas = document.createElement("canvas").getContext("2d");
        var families = UTF8ToString(family).split(",").map(function(name) {
          name = name.trim();
          return /^(serif|sans-serif|monospace|cursive|fantasy|system-ui)$/i.test(name)
                     ? name : JSON.stringify(name);
        });
        canvas.font = (italic ? "italic " : "") + (bold ? "bold " : "") + size + "px " + families;
        return canvas.measureText(UTF8ToString(text)).width;
      });

static boolean is(const char *value, const char *expected) {
  return value && strcasecmp(value, expected) == 0;
}

/* A span's size as the browser will draw it, in the font, weight and style the SVG renderer
   writes for it: no estimate from tables of a few fonts. */
static boolean measure_in_browser(textspan_t *span, char **fontpath) {
  textfont_t *font = span->font;
  PostscriptAlias *alias = font->postscript_alias;
  char family[256];
  if (alias) {
    snprintf(family, sizeof family, "%s%s%s", alias->family, alias->svg_font_family ? "," : "",
             alias->svg_font_family ? alias->svg_font_family : "");
  } else {
    snprintf(family, sizeof family, "%s", font->name);
  }
  int bold = (font->flags & HTML_BF) || (alias && is(alias->weight, "bold"));
  int italic = (font->flags & HTML_IF) || (alias && is(alias->style, "italic"));
  span->size.x = span->str ? browser_text_width(span->str, family, font->size, bold, italic) : 0;
  span->size.y = font->size * LINESPACING;
  span->yoffset_layout = 0;
  span->yoffset_centerline = 0.1 * font->size;
  span->layout = NULL;
  span->free_layout = NULL;
  if (fontpath) *fontpath = "[browser]";
  return TRUE;
}

static gvtextlayout_engine_t browser_text = {measure_in_browser};
static gvplugin_installed_t browser_text_types[] = {
    {0, "textlayout", 0, &browser_text, NULL},
    {0, NULL, 0, NULL, NULL},
};

static gvplugin_api_t svg_apis[] = {
    {API_device, gvdevice_svg_types},
    {API_render, gvrender_svg_types},
    {(api_t)0, 0},
};
static gvplugin_api_t dot_apis[] = {
    {API_layout, gvlayout_dot_layout},
    {(api_t)0, 0},
};
static gvplugin_api_t text_apis[] = {
    {API_textlayout, browser_text_types},
    {(api_t)0, 0},
};
static gvplugin_library_t svg_library = {"core", svg_apis};
static gvplugin_library_t text_library = {"archviz_text", text_apis};
static gvplugin_library_t dot_library = {"dot_layout", dot_apis};
static lt_symlist_t builtins[] = {
    {"gvplugin_core_LTX_library", &svg_library},
    {"gvplugin_dot_layout_LTX_library", &dot_library},
    {"gvplugin_archviz_text_LTX_library", &text_library},
    {0, 0},
};

static GVC_t *context;

/* Graphviz's messages of the last layout, joined. */
static char *messages;
static size_t messages_length;

static int keep_message(char *text) {
  size_t length = strlen(text);
  char *grown = realloc(messages, messages_length + length + 1);
  if (!grown) return 0;
  messages = grown;
  memcpy(messages + messages_length, text, length + 1);
  messages_length += length;
  return 0;
}

/* The messages (errors and warnings) of the last call of archviz_layout. */
EMSCRIPTEN_KEEPALIVE const char *archviz_errors(void) { return messages ? messages : ""; }

/* The SVG of a DOT text laid out by dot (the caller frees it), or NULL when Graphviz could not
   read or lay it out: archviz_errors() says why. */
EMSCRIPTEN_KEEPALIVE char *archviz_layout(const char *dot) {
  char *svg = NULL;
  unsigned int length = 0;
  messages_length = 0;
  if (messages) messages[0] = '\0';
  if (!context) {
    agseterrf(keep_message);
    agseterr(AGWARN);
    context = gvContextPlugins(builtins, 0);
  }
  agreseterrors();
  agsetfile(NULL); /* messages count lines from 1 in every text */
  Agraph_t *graph = agmemread(dot);
  if (!graph) return NULL;
  if (gvLayout(context, graph, "dot") == 0) {
    if (gvRenderData(context, graph, "svg", &svg, &length) != 0) svg = NULL;
    gvFreeLayout(context, graph);
  }
  agclose(graph);
  return svg;
}
