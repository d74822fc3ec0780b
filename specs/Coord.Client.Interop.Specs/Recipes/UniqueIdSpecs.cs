using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary><see cref="UniqueIdGenerator"/>, against Apache ZooKeeper and Coord.</summary>
public sealed class UniqueIdSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Sessions = 8;
    private const int IdsEach = 200;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_sessions_times_200_ids_are_all_distinct_increasing_and_leave_no_node(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "ids")}/orders";
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            using var deadline = new CancellationTokenSource(Wait);
            var clock = Stopwatch.StartNew();
            var ids = new List<long>[Sessions];
            await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
            {
                var generator = new UniqueIdGenerator(client, path);
                ids[i] = [];
                for (int n = 0; n < IdsEach; n++) ids[i].Add(await generator.NextAsync(deadline.Token));
            }))).WaitAsync(Wait);
            output.WriteLine($"{kind}: {Sessions * IdsEach} ids by {Sessions} sessions in {clock.ElapsedMilliseconds} ms");

            var all = ids.SelectMany(i => i).ToList();
            Assert.Equal(Sessions * IdsEach, all.Distinct().Count());
            foreach (var one in ids) Assert.Equal(one.Order(), one); // increasing within a session
            Assert.Empty(await admin.GetChildrenAsync(path, ct: deadline.Token));
            // A new session continues the sequence: ids never repeat across sessions.
            await using var later = await CoordClient.ConnectAsync(server.ConnectString, Options());
            Assert.True(await new UniqueIdGenerator(later, path).NextAsync(deadline.Token) > all.Max());
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }
}
