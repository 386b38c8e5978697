/*
 * empty_yj.c - the reference for `make bench` rows 1, 1v and 1l: a C
 * program that links libyaml and jansson (what the core vmrecon links),
 * asks each for its version so that both are really loaded, and exits.
 * What vmrecon costs above it is vmrecon's own start-up and work.
 */
#include <jansson.h>
#include <stdio.h>
#include <yaml.h>

int
main(void)
{
	printf("libyaml %s, jansson %s\n", yaml_get_version_string(),
	    jansson_version_str());
	return 0;
}
