/* test_json.c - the strict JSON field readers (schema/util/json.h): each
 * type, its bounds, absent and null, and the path in every message. */
#include <string.h>

#include "../../schema/util/error.h"
#include "../../schema/util/json.h"
#include "unit.h"

static json_t *
doc(const char *text)
{
	return json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
}

static const struct vr_json_at at = { "f.json", "vms.e", VR_EINVALID };

TEST(test_json__int)
{
	json_t *d = doc("{\"n\": 4, \"big\": 2000, \"s\": \"4\", \"r\": 1.5,"
	    " \"z\": null}");
	int64_t v = -1;

	CHECK_INT(vr_json_int(&v, &at, d, "n", 1, 1024, 0), 1);
	CHECK_INT(v, 4);
	CHECK_INT(vr_json_int(&v, &at, d, "big", 1, 1024, 0), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e.big: 2000 is out of range "
	    "(1 to 1024)");
	CHECK_INT(vr_json_int(&v, &at, d, "s", 1, 9, 0), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e.s: expected an integer");
	CHECK_INT(vr_json_int(&v, &at, d, "r", 1, 9, 0), VR_EINVALID);
	CHECK_INT(vr_json_int(&v, &at, d, "gone", 1, 9, 0), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e: missing key 'gone'");
	v = 7;
	CHECK_INT(vr_json_int(&v, &at, d, "gone", 1, 9, VR_JSON_OPTIONAL), 0);
	CHECK_INT(v, 7); /* untouched */
	/* null: an error unless NULL_OK */
	CHECK_INT(vr_json_int(&v, &at, d, "z", 1, 9, VR_JSON_OPTIONAL),
	    VR_EINVALID);
	CHECK_INT(vr_json_int(&v, &at, d, "z", 1, 9, VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK), 0);
	json_decref(d);
}

TEST(test_json__str)
{
	json_t *d = doc("{\"a\": \"abc\", \"e\": \"\", \"c\": \"a\\u0007b\","
	    " \"n\": \"a\\u0000b\", \"h\": \"0123abcdef\", \"g\": \"0g\","
	    " \"x\": 3, \"u\": \"09AF\"}");
	struct vr_json_at be = { "the script", "", VR_EBACKEND };
	const char *s = NULL;

	CHECK_INT(vr_json_str(&s, &at, d, "a", 1, 3, VR_JSON_PRINT, 0), 1);
	CHECK_STR(s, "abc");
	CHECK_INT(vr_json_str(&s, &at, d, "a", 1, 2, VR_JSON_PRINT, 0),
	    VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e.a: expected 1 to 2 "
	    "characters");
	CHECK_INT(vr_json_str(&s, &at, d, "e", 1, 9, VR_JSON_ANY, 0),
	    VR_EINVALID);
	CHECK_INT(vr_json_str(&s, &at, d, "c", 0, 9, VR_JSON_ANY, 0), 1);
	CHECK_INT(vr_json_str(&s, &at, d, "c", 0, 9, VR_JSON_PRINT, 0),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.c: contains a control character");
	CHECK_INT(vr_json_str(&s, &be, d, "n", 0, 9, VR_JSON_ANY, 0),
	    VR_EBACKEND);
	CHECK_STR(vr_error_msg(), "the script: n: contains a NUL byte");
	CHECK_INT(vr_json_str(&s, &at, d, "h", 10, 10, VR_JSON_HEX, 0), 1);
	CHECK_INT(vr_json_str(&s, &at, d, "g", 2, 2, VR_JSON_HEX, 0),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "not a hex digit");
	CHECK_INT(vr_json_str(&s, &at, d, "h", 10, 10, VR_JSON_LOWER_HEX, 0),
	    1);
	CHECK_INT(vr_json_str(&s, &at, d, "u", 4, 4, VR_JSON_HEX, 0), 1);
	CHECK_INT(vr_json_str(&s, &at, d, "u", 4, 4, VR_JSON_LOWER_HEX, 0),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.u: contains a character that "
	    "is not a lower-case hex digit");
	CHECK_INT(vr_json_str(&s, &at, d, "x", 0, 9, VR_JSON_ANY, 0),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.x: expected a string");
	json_decref(d);
}

TEST(test_json__bool_object_array)
{
	json_t *d = doc("{\"t\": true, \"one\": 1, \"o\": {}, \"a\": [1, 2, 3],"
	    " \"z\": null}");
	json_t *o = NULL;
	bool b = false;

	CHECK_INT(vr_json_bool(&b, &at, d, "t", 0), 1);
	CHECK(b);
	CHECK_INT(vr_json_bool(&b, &at, d, "one", 0), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.one: expected true or false");
	CHECK_INT(vr_json_object(&o, &at, d, "o", 0), 1);
	CHECK(json_is_object(o));
	CHECK_INT(vr_json_object(&o, &at, d, "a", 0), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.a: expected an object");
	CHECK_INT(vr_json_object(&o, &at, d, "one", VR_JSON_NULL_OK),
	    VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "expected null or an object");
	CHECK_INT(vr_json_object(&o, &at, d, "z", VR_JSON_OPTIONAL |
	    VR_JSON_NULL_OK), 0);
	CHECK_INT(vr_json_array(&o, &at, d, "a", 1, 3, 0), 1);
	CHECK_INT(json_array_size(o), 3);
	CHECK_INT(vr_json_array(&o, &at, d, "a", 0, 2, 0), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "vms.e.a: expected an array of 0 to 2 "
	    "elements");
	/* key NULL: the value itself, at at.path */
	CHECK_INT(vr_json_array(&o, &at, d, NULL, 0, 9, 0), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e: expected an array");
	/* any type, null too (the caller checks it); absent is as asked */
	CHECK_INT(vr_json_value(&o, &at, d, "z", VR_JSON_OPTIONAL), 1);
	CHECK(json_is_null(o));
	CHECK_INT(vr_json_value(&o, &at, d, "one", 0), 1);
	CHECK(json_is_integer(o));
	CHECK_INT(vr_json_value(&o, &at, d, "no", VR_JSON_OPTIONAL), 0);
	CHECK(json_is_integer(o)); /* untouched */
	CHECK_INT(vr_json_value(&o, &at, d, "no", 0), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: vms.e: missing key 'no'");
	json_decref(d);
}

TEST(test_json__keys)
{
	static const char *const allowed[] = { "a", "b", NULL };
	json_t *d = doc("{\"a\": 1, \"c\": 2}");
	struct vr_json_at top = { "f.json", "", VR_EINVALID };

	CHECK_INT(vr_json_keys(&top, d, allowed), VR_EINVALID);
	CHECK_STR(vr_error_msg(), "f.json: c: unknown key (expected one of: "
	    "a, b)");
	json_object_del(d, "c");
	CHECK_INT(vr_json_keys(&top, d, allowed), 0);
	json_decref(d);
}
