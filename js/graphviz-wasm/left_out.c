/* What this build of Graphviz leaves out, for build.sh: pictures in nodes (image=, shapefile=,
   <IMG>), which Graphviz reads from files a web page does not have, so that every picture is a
   missing file (Graphviz's warning, and no picture); and the key bindings and callbacks of
   interactive devices, which SVG output never calls. */
#include <types.h>
#include <gvplugin_loadimage.h>

point gvusershape_size(graph_t *g, char *name) {
  (void)g;
  (void)name;
  point missing = {-1, -1};
  return missing;
}

point gvusershape_size_dpi(usershape_t *shape, pointf dpi) {
  (void)shape;
  (void)dpi;
  point missing = {-1, -1};
  return missing;
}

usershape_t *gvusershape_find(char *name) {
  (void)name;
  return NULL;
}

gvevent_key_binding_t gvevent_key_binding[1];
int gvevent_key_binding_size = 0;
gvdevice_callbacks_t gvdevice_callbacks;
