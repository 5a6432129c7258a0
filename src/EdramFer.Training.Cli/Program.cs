using EdramFer.Training.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

// Exit codes as edram's: 0 success, 1 the run failed (bad arguments, unreadable data, I/O error), 2 interrupted
// (Ctrl-C, SIGTERM, SIGHUP; checkpoint saved). Preprocessing parallelises across images; OpenCV's own worker threads
// would only compete with it and with libtorch.
OpenCvSharp.Cv2.SetNumThreads(1);
var app = new CommandApp();
app.Configure(config => TrainApp.Configure(config, AnsiConsole.Console, args));
return app.Run(args);
