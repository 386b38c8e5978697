/*
 * fuzz_load.c - libFuzzer target for the desired-state loader: any bytes
 * must load or be rejected with at least one diagnostic, never crash, leak
 * or take long.  Build and run (clang, from the top of the tree):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     $(pkg-config --cflags yaml-0.1) -o build/fuzz_load \
 *     tests/fuzz/fuzz_load.c schema/load.c schema/diag.c schema/error.c \
 *     schema/fileio.c schema/model.c $(pkg-config --libs yaml-0.1)
 *   build/fuzz_load -max_len=4096 -timeout=2 tests/bad tests/good examples
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../schema/error.h"
#include "../../schema/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_spec *spec = NULL;
	int rc;

	rc = vr_spec_load_buffer(&spec, &d, "fuzz.yaml", (const char *)data,
	    size);
	if ((rc == 0) != (spec != NULL) || (rc == 0) != (d.n == 0) ||
	    (rc != 0 && rc != VR_EINVALID))
		abort();
	vr_spec_free(spec);
	vr_diags_free(&d);
	return 0;
}
