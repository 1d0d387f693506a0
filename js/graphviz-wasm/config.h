/* Graphviz's config.h for the WebAssembly build (build.sh): plugins are built in, not loaded
   from files; HTML-like labels are parsed with expat; no zlib (no compressed output). */
#define HAVE_EXPAT 1
#define HAVE_CBRT 1
#define HAVE_DRAND48 1
#define HAVE_SRAND48 1
#define HAVE_STRCASECMP 1
#define HAVE_STRNCASECMP 1
#define HAVE_STRINGS_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_VSNPRINTF 1
#define DEFAULT_DPI 96
#define PACKAGE_VERSION "2.42.2"
