/*
 * bounds.h - the one upper bound for each quantity vmrecon reads that is
 * not a spec field: a host's, a VM's name, and what a QEMU's QMP replies
 * hold besides the spec's quantities.  A VM's cpuCount, memory
 * and GPU count are bounded by their row of the field table (field.h,
 * vr_fields[].max) wherever they are read, observed or desired.  A reader
 * of such a value uses these, never a number of its own.
 */
#ifndef VR_BOUNDS_H
#define VR_BOUNDS_H

#include <stdint.h>

/* A VM's name (metadata.name; the loader's rule). */
#define VR_VM_NAME_MAX 64
/* A host's logical processors. */
#define VR_HOST_CPU_MAX 4096
/* A host's memory in MB: 4 PiB, beyond any host. */
#define VR_HOST_MEMORY_MB_MAX (INT64_C(1) << 32)
/* GPUs (video controllers) a host lists, and GPUs of one model on it. */
#define VR_HOST_GPUS_MAX 64
/* Passthrough types a host lists for one GPU (two exist today). */
#define VR_GPU_TYPES_MAX 16

/* QMP: a QEMU device or object id, a QOM type or property name. */
#define VR_QEMU_NAME_MAX 256
/* QMP: a QOM path ("/machine/peripheral/vrcpu-0-1-0"). */
#define VR_QOM_PATH_MAX 1024
/* A QEMU VM's vCPU slots (its maxcpus): q35's own limit since QEMU 9.0. */
#define VR_QEMU_VCPU_SLOTS_MAX 4096
/* A QEMU VM's memory slots, and the memory devices it lists: QEMU's ACPI
 * limit (ACPI_MAX_RAM_SLOTS). */
#define VR_QEMU_MEMORY_SLOTS_MAX 256

#endif
