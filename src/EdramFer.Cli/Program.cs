using EdramFer.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

// Exit codes: 0 success, 1 the run failed (bad arguments, unreadable model, I/O error), 2 interrupted (Ctrl-C, SIGTERM,
// SIGHUP; state saved). The commands parallelise preprocessing across images; OpenCV's own worker threads would only
// compete with them.
OpenCvSharp.Cv2.SetNumThreads(1);
var app = new CommandApp();
app.Configure(config => EdramApp.Configure(config, AnsiConsole.Console, args));
return app.Run(args);
