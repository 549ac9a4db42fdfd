using System.Text;
using System.Text.RegularExpressions;

namespace HelloAspire.Seeding;

/// <summary>
/// A seed script as the parts that run it: SQL, and the data blocks of <c>COPY … FROM stdin</c> that a plain-format
/// <c>pg_dump</c> writes (which only psql reads from the script itself; here they go through Npgsql's COPY import).
/// psql's own commands (<c>\connect</c>, <c>\set</c>) are refused by line, except pg_dump's <c>\restrict</c> and
/// <c>\unrestrict</c>, which only guard psql against a hostile dump and mean nothing here.
/// </summary>
internal static partial class SeedScriptText
{
    /// <summary>SQL to run, or, with <see cref="CopyData"/>, a <c>COPY … FROM STDIN</c> command and its rows.</summary>
    public sealed record Part(string Sql, string? CopyData);

    public static IReadOnlyList<Part> Parts(string name, string script)
    {
        var parts = new List<Part>();
        var sql = new StringBuilder();
        using var reader = new StringReader(script);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (CopyFromStdin().Match(line) is { Success: true } copy)
            {
                Flush(parts, sql);
                var data = new StringBuilder();
                var start = number;
                while (true)
                {
                    var row = reader.ReadLine() ?? throw new SeedException(
                        $"Seed script {name} line {start}: the data of its COPY … FROM stdin has no end line (\\.). Fix: end the rows with a line of \\. alone, as pg_dump does.");
                    number++;
                    if (row == @"\.")
                    {
                        break;
                    }

                    data.Append(row).Append('\n');
                }

                parts.Add(new Part(copy.Groups["command"].Value, data.ToString()));
            }
            else if (line.StartsWith('\\'))
            {
                if (!line.StartsWith(@"\restrict ", StringComparison.Ordinal) && !line.StartsWith(@"\unrestrict ", StringComparison.Ordinal))
                {
                    throw new SeedException(
                        $"Seed script {name} line {number} is a psql command ({line.Split(' ')[0]}), and seeding runs SQL. Fix: write it as SQL, or load that file with psql yourself.");
                }
            }
            else
            {
                sql.Append(line).Append('\n');
            }
        }

        Flush(parts, sql);
        return parts;
    }

    // A script of comments or blank lines alone adds nothing to run.
    private static void Flush(List<Part> parts, StringBuilder sql)
    {
        var text = sql.ToString();
        sql.Clear();
        if (text.Split('\n').Any(line => line.Trim() is { Length: > 0 } code && !code.StartsWith("--", StringComparison.Ordinal)))
        {
            parts.Add(new Part(text, null));
        }
    }

    // pg_dump's form: the whole statement on one line, ending in "FROM stdin;".
    [GeneratedRegex(@"^(?<command>COPY\s.+\sFROM\s+stdin)\s*;\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CopyFromStdin();
}
