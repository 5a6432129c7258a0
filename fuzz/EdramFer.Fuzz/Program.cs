// Fuzzing harnesses (docs/fuzzing.md):
//   EdramFer.Fuzz list                          targets and their contracts
//   EdramFer.Fuzz run <target|all> [options]    in process: replay fuzz/corpus/<target>, then mutate for a bounded time
//   EdramFer.Fuzz afl <target>                  under afl-fuzz (SharpFuzz fork server; input on stdin)
//   EdramFer.Fuzz libfuzzer <target>            under libfuzzer-dotnet
//   EdramFer.Fuzz seed [--corpus DIR]           regenerate the seed files of fuzz/corpus
using EdramFer.Fuzz;
using SharpFuzz;

try
{
    return args switch
    {
        ["list"] => FuzzCommands.List(),
        ["run", var target, .. var options] => FuzzCommands.Run(target, options),
        ["afl", var target] => Engine(target, t => Fuzzer.OutOfProcess.Run(stream => t.Value.Run(FuzzCommands.ReadAll(stream)))),
        ["libfuzzer", var target] => Engine(target, t => Fuzzer.LibFuzzer.Run(data => t.Value.Run(data))),
        ["seed", .. var options] => FuzzCommands.Seed(options),
        _ => FuzzCommands.Usage(),
    };
}
catch (UsageError e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Instrumented code (the product assemblies) crashes with an access violation outside the engine's run, when its
// coverage memory is not attached: the target is made on the first input and, after the run, only its temp folder
// is deleted (Dispose would call into instrumented code).
static int Engine(string name, Action<Lazy<FuzzTarget>> run)
{
    name = FuzzCommands.TargetName(name);
    var target = new Lazy<FuzzTarget>(() => FuzzTargets.Create(name));
    run(target);
    if (target.IsValueCreated) target.Value.DeleteWorkFolder();
    return 0;
}
