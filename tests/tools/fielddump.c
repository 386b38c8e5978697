/*
 * fielddump.c - print the field table (schema/field.c) as JSON, one object
 * per row, for tests/schema_agree.py to compare with the "spec" of
 * schema/vmrecon.schema.json: key, kind, bounds, step, words, default.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "../../schema/field.h"

int
main(void)
{
	static const char *const kinds[] = { "none", "integer", "gpu", "enum",
	    "integer-list", "windows" };
	json_t *rows = json_array();
	size_t i, j;
	char *s;

	for (i = 0; i < VR_FIELD__COUNT; i++) {
		const struct vr_field_desc *f = &vr_fields[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "key", f->key,
		    "kind", kinds[f->kind], "unit", f->unit, "reconciled",
		    f->reconciled);

		if (f->kind == VR_VALUE_ENUM) {
			json_t *w = json_array();

			for (j = 0; f->names[j]; j++)
				json_array_append_new(w,
				    json_string(f->names[j]));
			json_object_set_new(o, "names", w);
			json_object_set_new(o, "default",
			    json_string(f->names[f->dflt]));
		} else {
			json_object_set_new(o, "min", json_integer(f->min));
			json_object_set_new(o, "max", json_integer(f->max));
			json_object_set_new(o, "multipleOf",
			    json_integer(f->multiple));
		}
		if (f->kind == VR_VALUE_INT_LIST || f->kind == VR_VALUE_WINDOWS)
			json_object_set_new(o, "maxItems",
			    json_integer((json_int_t)f->max_items));
		json_array_append_new(rows, o);
	}
	s = json_dumps(rows, JSON_INDENT(1));
	json_decref(rows);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return 0;
}
