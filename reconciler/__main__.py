from reconciler.cli.entry import console

console()
