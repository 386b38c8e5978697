#!/usr/bin/env bash
# t0100-layers.sh - #include lines only go down the layers README.md lists
# under "Layout" (as libvirt's sc_prohibit_cross_inclusion): a file
# includes files of its own folder and of the folders below it, never one
# above, and never one outside the layers (tests/, say).  Bottom first:
#   schema/util, schema, backends, reconciler/engine, reconciler/gitops,
#   reconciler/report, reconciler/cli, reconciler/modules
# It checks the tree, then proves that it notices: in a copy of the tree
# it plants an upward include, one across the reconciler's layers and one
# out of the layers, and expects each to be named with its file and line.
#@ no-san: reads the tree's #include lines, never runs vmrecon
. "$(dirname "$0")/../lib.sh"

LAYERS="schema/util schema backends reconciler/engine reconciler/gitops
reconciler/report reconciler/cli reconciler/modules"

# (no subshells below: a fork per include made this script take a minute)

# rank DIR: RANK = the layer's place from the bottom (0...), or -1 if DIR
# is none
rank() {
	local i=0 l
	RANK=-1
	for l in $LAYERS; do
		[ "$1" = "$l" ] && { RANK=$i; return; }
		i=$((i + 1))
	done
}

# norm PATH: NORM = PATH with its "." and ".." resolved, without touching
# the disk (an include outside the tree stays visible as ../...)
norm() {
	local IFS=/ part out=()
	for part in $1; do
		case $part in
		'' | .) ;;
		..) if [ ${#out[@]} -gt 0 ] && [ "${out[-1]}" != .. ]; then
			unset 'out[-1]'
		    else
			out+=(..)
		    fi ;;
		*) out+=("$part") ;;
		esac
	done
	NORM="${out[*]}"
}

INCLUDE='^[[:space:]]*#[[:space:]]*include[[:space:]]*"'

# check ROOT: one line per include that breaks the rule, on stdout;
# how many includes it read, in $NINC; returns 1 if any broke it
check() {
	local root=$1 l files=() file layer r n inc target tdir bad=0
	NINC=0
	for l in $LAYERS; do
		files+=("$root/$l"/*.[ch])
	done
	while IFS=: read -r file n inc; do
		NINC=$((NINC + 1))
		file=${file#"$root"/}
		layer=${file%/*}
		rank "$layer"
		r=$RANK
		inc=${inc#*\"}
		inc=${inc%%\"*}
		norm "$layer/$inc"
		target=$NORM
		tdir=${target%/*}
		[ "$tdir" = "$target" ] && tdir=.
		rank "$tdir"
		if [ "$RANK" -lt 0 ]; then
			echo "$file:$n: includes $target, outside the layers"
			bad=1
		elif [ "$RANK" -gt "$r" ]; then
			echo "$file:$n: includes $target ($tdir), a layer above $layer"
			bad=1
		fi
	done < <(grep -Hn "$INCLUDE" "${files[@]}")
	return $bad
}

if check "$VR_TOP" >"$T/report"; then
	ok "every #include goes down the layers"
else
	notok "an #include goes up or out of the layers:"
	sed 's/^/#   /' "$T/report"
fi
# not vacuous: it read every include line of the layers' files
all=0
for l in $LAYERS; do
	n=$(cat "$VR_TOP/$l"/*.[ch] | grep -c "$INCLUDE")
	all=$((all + n))
done
[ "$NINC" -eq "$all" ] && [ "$all" -gt 0 ] && ok "it read all $all includes" ||
	notok "it read $NINC of the $all includes"

# a copy of the tree with one include planted; it must fail and name
# FILE:LINE, and only that
for l in $LAYERS; do
	mkdir -p "$T/tree/$l"
	cp "$VR_TOP/$l"/*.[ch] "$T/tree/$l/"
done
planted() { # DESC FILE LINE WANT
	local desc=$1 file=$2 line=$3 want=$4
	# after the file's first line: the line number is 2
	sed -i "1a $line" "$T/tree/$file"
	check "$T/tree" >"$T/report"
	RC=$?
	cp "$VR_TOP/$file" "$T/tree/$file"
	if [ "$RC" -eq 1 ] && grep -qF -- "$want" "$T/report" &&
	    [ "$(wc -l <"$T/report")" -eq 1 ]; then
		ok "planted, caught: $desc"
	else
		notok "planted, not caught: $desc (exit $RC)"
		sed 's/^/#   /' "$T/report"
	fi
}
planted "schema including a backend" schema/model.h \
	'#include "../backends/backend.h"' \
	"schema/model.h:2: includes backends/backend.h (backends), a layer above schema"
planted "the bottom layer including schema" schema/util/json.c \
	'#  include "../field.h"' \
	"schema/util/json.c:2: includes schema/field.h (schema), a layer above schema/util"
planted "the engine including the CLI" reconciler/engine/plan.c \
	'#include "../cli/cmd.h"' \
	"reconciler/engine/plan.c:2: includes reconciler/cli/cmd.h (reconciler/cli), a layer above reconciler/engine"
planted "a backend including the reconciler" backends/sim.c \
	'#include "../reconciler/engine/statedir.h"' \
	"backends/sim.c:2: includes reconciler/engine/statedir.h (reconciler/engine), a layer above backends"
planted "an include out of the layers" backends/qemu.c \
	'#include "../tests/unit/unit.h"' \
	"backends/qemu.c:2: includes tests/unit/unit.h, outside the layers"
exit $_failed
