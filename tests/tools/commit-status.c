/*
 * commit-status.c - post one commit status the way `vmrecon watch` does,
 * for the end-to-end test that checks each API's request shape on a local
 * server.
 *
 *   commit-status PROVIDER BASE REPO SHA STATE TOKEN_FILE CA_FILE [DESC]
 *
 * STATE is pending, success or failure.  Exits 0 once the background
 * poster is done (1 for bad options); the test reads what the server got.
 */
#include <stdio.h>
#include <string.h>

#include "../../reconciler/report/commitstatus.h"
#include "../../reconciler/report/notify.h"
#include "../../schema/util/error.h"

int
main(int argc, char **argv)
{
	struct vr_commit_status_options o;
	struct vr_commit_status *cs;
	enum vr_cs_state st;

	if (argc < 8) {
		fprintf(stderr, "usage: commit-status PROVIDER BASE REPO SHA "
		    "STATE TOKEN_FILE CA_FILE [DESC]\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	if (vr_commit_status_provider_parse(&o.provider, argv[1]) < 0) {
		fprintf(stderr, "%s\n", vr_error_msg());
		return 2;
	}
	o.base_url = argv[2];
	o.repo = argv[3];
	o.token_file = argv[6];
	o.http.ca_file = argv[7];
	o.target_url = "https://ci.example/run/1";
	st = strcmp(argv[5], "pending") == 0 ? VR_CS_PENDING :
	    strcmp(argv[5], "success") == 0 ? VR_CS_SUCCESS : VR_CS_FAILURE;
	if (vr_commit_status_new(&cs, &o) < 0) {
		fprintf(stderr, "commit-status: %s\n", vr_error_msg());
		return 1;
	}
	vr_commit_status_post(cs, argv[4], st, argc > 8 ? argv[8] : NULL);
	vr_commit_status_free(cs);
	return 0;
}
