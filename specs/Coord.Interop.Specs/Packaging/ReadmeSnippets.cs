using System.Text;
using System.Text.RegularExpressions;

namespace Coord.Interop.Specs.Packaging;

/// <summary>
/// Turns the <c>csharp</c> code blocks of a README into one C# file, so that building it proves every block
/// compiles. Each block becomes the body of an async method with <c>client</c> (a CoordClient) and <c>ct</c> (a
/// CancellationToken) as parameters, unless the block connects its own <c>client</c>; <c>using</c> directives at
/// the top of a block move to the top of the file. The blocks are compiled, not run.
/// </summary>
public static partial class ReadmeSnippets
{
    // Warnings that code fragments raise by nature (unused locals, an await-free body, an unused local function).
    // Everything else, nullable warnings included, stays an error.
    private const string Suppressed = "CS0168, CS0219, CS1998, CS8321";

    [GeneratedRegex(@"^```csharp[ \t]*\n(?<code>.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CsharpBlock();

    [GeneratedRegex(@"^using\s+[A-Za-z_][\w.]*\s*;")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"\bvar\s+client\b")]
    private static partial Regex DeclaresClient();

    /// <summary>The code of every <c>csharp</c> block, in order.</summary>
    public static IReadOnlyList<string> Blocks(string markdown) =>
        [.. CsharpBlock().Matches(markdown.Replace("\r\n", "\n")).Select(m => m.Groups["code"].Value)];

    /// <summary>A compilation unit with one static method per block, in namespace <c>ReadmeSnippets</c>.</summary>
    public static string ToCompilationUnit(IReadOnlyList<string> blocks)
    {
        var usings = new SortedSet<string>(StringComparer.Ordinal) { "Coord.Client" };
        var methods = new StringBuilder();
        for (int i = 0; i < blocks.Count; i++)
        {
            var body = new List<string>();
            foreach (string line in blocks[i].Split('\n'))
            {
                var directive = UsingDirective().Match(line);
                if (directive.Success && body.Count == 0)
                {
                    usings.Add(directive.Value["using".Length..].TrimEnd(';').Trim());
                }
                else
                {
                    body.Add(line);
                }
            }

            string parameters = DeclaresClient().IsMatch(blocks[i]) ? "CancellationToken ct" : "CoordClient client, CancellationToken ct";
            methods.AppendLine($"    // README block {i + 1}");
            methods.AppendLine($"    public static async Task Block{i + 1}({parameters})");
            methods.AppendLine("    {");
            foreach (string line in body)
            {
                methods.AppendLine(line.Length == 0 ? "" : "        " + line);
            }

            methods.AppendLine("    }");
            methods.AppendLine();
        }

        var unit = new StringBuilder();
        unit.AppendLine("// Generated from Coord.Client/README.md by specs/Coord.Interop.Specs/Packaging/ReadmeSnippets.cs.");
        unit.AppendLine("#nullable enable");
        unit.AppendLine($"#pragma warning disable {Suppressed}");
        foreach (string name in usings)
        {
            unit.AppendLine($"using {name};");
        }

        unit.AppendLine();
        unit.AppendLine("namespace ReadmeSnippets;");
        unit.AppendLine();
        unit.AppendLine("public static class Readme");
        unit.AppendLine("{");
        unit.Append(methods);
        unit.AppendLine("}");
        return unit.ToString();
    }
}
