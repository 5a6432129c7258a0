using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace EdramFer.CommandLine;

/// <summary>"Did you mean '--detector'?" for an unknown option: the closest option of the command by edit distance.</summary>
public static partial class OptionSuggestions
{
    /// <summary>A hint for a parse error about an unknown option of the command in <paramref name="args"/>[0]; null otherwise.</summary>
    public static string? For(Exception e, string[] args, ToolApp tool)
    {
        if (UnknownOption().Match(e.Message) is not { Success: true } m || args.Length == 0) return null;
        var typed = "--" + m.Groups[1].Value.TrimStart('-');
        var options = OptionsOf(args[0], tool.Commands);
        if (options.Count == 0) return null;
        var best = options.MinBy(o => Distance(typed, o))!;
        var distance = Distance(typed, best);
        return distance <= Math.Max(2, typed.Length / 3)
            ? $"Did you mean '{best}'? ({tool.Name} {args[0]} --help lists every option)"
            : $"{tool.Name} {args[0]} --help lists every option";
    }

    /// <summary>The long option names of the command called <paramref name="command"/> (class <c>&lt;Name&gt;Command</c> in <paramref name="commands"/>).</summary>
    public static IReadOnlyList<string> OptionsOf(string command, Assembly commands)
    {
        var type = commands.GetTypes()
            .FirstOrDefault(t => t.Name.Equals(command + "Command", StringComparison.OrdinalIgnoreCase));
        for (var b = type?.BaseType; b is not null; b = b.BaseType)
        {
            if (!b.IsGenericType || b.GetGenericTypeDefinition() != typeof(Command<>)) continue;
            return b.GetGenericArguments()[0].GetProperties()
                .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
                .Where(a => a is { IsHidden: false })
                .SelectMany(a => a!.LongNames.Select(n => "--" + n)).ToList();
        }
        return [];
    }

    /// <summary>Levenshtein distance.</summary>
    internal static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    [GeneratedRegex(@"Unknown option '([^']+)'")]
    private static partial Regex UnknownOption();
}
