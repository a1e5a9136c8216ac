/* Feed every file of the given directories (or the given files) to
 * LLVMFuzzerTestOneInput: replays a corpus without libFuzzer. */
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static const char *current;

/* Name the input that crashed (the fuzz targets abort() on a failed
 * invariant; sanitizers do with abort_on_error=1), then die of the same
 * signal. */
static void on_crash(int sig)
{
    static const char msg[] = "replay: crashed on input ";
    if (write(2, msg, sizeof(msg) - 1) < 0 || !current
        || write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0) {
        /* nothing more to do */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        perror(path);
        return 1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        fclose(f);
        perror(path);
        return 1;
    }
    rewind(f);
    /* an exact-size heap copy, so ASan sees reads past the end */
    buf = malloc(n ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: read failed\n", path);
        fclose(f);
        free(buf);
        return 1;
    }
    fclose(f);
    current = path;
    if (getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    current = NULL;
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int i, files = 0, errors = 0;

    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            errors++;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **ents;
            int n = scandir(argv[i], &ents, NULL, alphasort), j;
            if (n < 0) {
                perror(argv[i]);
                errors++;
                continue;
            }
            for (j = 0; j < n; j++) {
                char path[4096];
                struct stat fst;
                snprintf(path, sizeof(path), "%s/%s", argv[i],
                         ents[j]->d_name);
                if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
                    errors += run_file(path);
                    files++;
                }
                free(ents[j]);
            }
            free(ents);
        }
        else {
            errors += run_file(argv[i]);
            files++;
        }
    }
    printf("%s: %d inputs replayed, %d unreadable\n", argv[0], files, errors);
    return errors || files == 0 ? 1 : 0;
}
