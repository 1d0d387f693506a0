/* The entry of the WebAssembly Graphviz (build.sh): DOT text in, SVG out, with the dot layout
   and the SVG renderer built in as the only plugins. */
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>
#include <gvc.h>
#include <gvplugin.h>

extern gvplugin_installed_t gvdevice_svg_types[];
extern gvplugin_installed_t gvrender_svg_types[];
extern gvplugin_installed_t gvlayout_dot_layout[];

static gvplugin_api_t svg_apis[] = {
    {API_device, gvdevice_svg_types},
    {API_render, gvrender_svg_types},
    {(api_t)0, 0},
};
static gvplugin_api_t dot_apis[] = {
    {API_layout, gvlayout_dot_layout},
    {(api_t)0, 0},
};
static gvplugin_library_t svg_library = {"core", svg_apis};
static gvplugin_library_t dot_library = {"dot_layout", dot_apis};
static lt_symlist_t builtins[] = {
    {"gvplugin_core_LTX_library", &svg_library},
    {"gvplugin_dot_layout_LTX_library", &dot_library},
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
  Agraph_t *graph = agmemread(dot);
  if (!graph) return NULL;
  if (gvLayout(context, graph, "dot") == 0) {
    if (gvRenderData(context, graph, "svg", &svg, &length) != 0) svg = NULL;
    gvFreeLayout(context, graph);
  }
  agclose(graph);
  return svg;
}
