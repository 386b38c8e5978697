/* unit.c - the runner for TEST()s: `unit [NAME-SUBSTRING...]`. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "unit.h"

#define WAIT_GONE_MS 30000

struct unit_test {
	const char *name, *file;
	void (*fn)(void);
};

static struct unit_test tests[1024];
static size_t ntests;
static int failures;
static char tmpdir[256];

void
unit_register(const char *name, void (*fn)(void), const char *file)
{
	if (ntests == sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "unit: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].file = file;
	tests[ntests].fn = fn;
	ntests++;
}

const char *
unit_top(const char *rel)
{
	static char path[1024];
	const char *top = getenv("VR_TOP");

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	return path;
}

int
unit_gone(int pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int z = 0;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		z = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return z;
}

int
unit_wait_gone(int pid)
{
	int64_t end = vr_clock_ms() + WAIT_GONE_MS;

	while (!unit_gone(pid) && vr_clock_ms() < end)
		vr_sleep_ms(10);
	return unit_gone(pid);
}

long
unit_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

bool
unit_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	failures++;
	fprintf(stdout, "    %s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	return false;
}

const char *
unit_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/vr-unit-XXXXXX",
		    base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return tmpdir;
}

const char *
unit_write(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (!tmpdir[0])
		return;
	if (nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "unit: cannot remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

static int
selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ntests; i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		failures = 0;
		tests[i].fn();
		if (failures) {
			printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
			printf("    kept %s\n", tmpdir[0] ? tmpdir : "-");
			tmpdir[0] = '\0';
			failed++;
		} else {
			printf("ok %s\n", tests[i].name);
			rm_tmpdir();
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
