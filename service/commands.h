/*
 * commands: the subcommands of the azure-integration binary.  Each returns
 * the process exit code (service-contract.md: 0 ok, 1 fatal, 2 partial for
 * collect, 64 usage).  argv[0] is the subcommand name.
 */
#ifndef AI_SERVICE_COMMANDS_H
#define AI_SERVICE_COMMANDS_H

int cmd_serve(int argc, char **argv);     /* service/cmd_serve.c */
int cmd_migrate(int argc, char **argv);   /* service/cmd_migrate.c */
int cmd_collect(int argc, char **argv);   /* service/cmd_collect.c */
int cmd_document(int argc, char **argv);  /* service/cmd_document.c */

#endif
