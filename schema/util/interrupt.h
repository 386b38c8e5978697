/*
 * interrupt.h - Ctrl-C (SIGINT) and SIGTERM for a command that must say
 * what it did before it ends (`apply`), as Terraform handles them.
 *
 * vr_interrupt_catch() installs the handlers.  The first interrupt prints
 * one line on stderr at once, saying it was received and what is being
 * stopped (the text the command last gave vr_interrupt_doing()), and sets
 * a flag: vr_run() then kills the child it waits for and starts no other
 * (run.h), and the command, reading vr_interrupted(), starts nothing more
 * and records each VM's outcome.  A second interrupt prints one line and
 * ends the process at once by that signal, recording nothing more (what
 * was made durable before stays: the state dir's journal is written as
 * each VM is done).  vr_interrupt_end() restores the default handlers and,
 * after an interrupt, ends the process by the signal received, so a shell
 * sees 128 + its number (130, 143) and a script's loop stops.
 *
 * Commands that never call vr_interrupt_catch() keep the default: the
 * signal ends them (diff, get, status, validate change nothing), and
 * `watch` handles its signals itself (reconciler/gitops/watchloop.c).
 */
#ifndef VR_INTERRUPT_H
#define VR_INTERRUPT_H

/* Catch SIGINT and SIGTERM in this process, on the calling thread: a
 * signal another thread (the notifier's, a resolver's) takes is passed on
 * to it, so the waits it makes are the ones cut short. */
void vr_interrupt_catch(void);

/* The signal of the first interrupt since vr_interrupt_catch(), or 0.
 * Safe anywhere, including before catch. */
int vr_interrupted(void);

/* What a first interrupt would stop now, in a few words ("EDGE01-EFLOW's
 * apply (cpuCount sent: its outcome becomes unknown)"); the line the
 * handler prints is built here, outside the handler. */
void vr_interrupt_doing(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Undo vr_interrupt_catch(); after an interrupt, end the process by its
 * signal (does not return then). */
void vr_interrupt_end(void);

#endif
