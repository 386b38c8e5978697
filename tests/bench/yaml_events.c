/*
 * yaml_events.c - the reference for `make bench` row 2: libyaml's raw
 * event parse of a file, and nothing else (no tree, no checks), so that
 * vmrecon's parse + check + plan can be given as a share of libyaml's rate.
 *
 *   yaml_events FILE
 *
 * Prints "N events WALL CPU": the seconds the parse took, from opening the
 * file to the last event, timed inside the process so that neither process
 * start nor dynamic loading is counted (tests/bench/run compares it with
 * plan_driver, timed the same way).
 */
#include <stdio.h>
#include <time.h>
#include <yaml.h>

static double
now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	yaml_parser_t p;
	yaml_event_t ev;
	FILE *fp = NULL;
	unsigned long n = 0;
	int rc = 1, done = 0;
	double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);

	if (argc != 2) {
		fprintf(stderr, "usage: yaml_events FILE\n");
		return 2;
	}
	if (!yaml_parser_initialize(&p)) {
		fprintf(stderr, "yaml_events: cannot initialize libyaml\n");
		return 1;
	}
	fp = fopen(argv[1], "rb");
	if (fp == NULL) {
		perror(argv[1]);
		goto out;
	}
	yaml_parser_set_input_file(&p, fp);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "%s:%zu: %s\n", argv[1],
			    p.problem_mark.line + 1,
			    p.problem ? p.problem : "parse error");
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		n++;
	}
	printf("%lu events %.9f %.9f\n", n, now(CLOCK_MONOTONIC) - w0,
	    now(CLOCK_PROCESS_CPUTIME_ID) - c0);
	rc = 0;
out:
	yaml_parser_delete(&p);
	if (fp != NULL)
		fclose(fp);
	return rc;
}
