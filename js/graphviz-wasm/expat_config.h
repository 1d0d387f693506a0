/* expat's configuration for the WebAssembly build (build.sh): what Graphviz's HTML-like labels
   need, without DTDs or namespaces. WebAssembly has no entropy source expat knows, and the hash
   salt guards against hostile documents, which a diagram's own labels are not. */
#define BYTEORDER 1234
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_UNISTD_H 1
#define XML_CONTEXT_BYTES 1024
#define XML_POOR_ENTROPY 1
