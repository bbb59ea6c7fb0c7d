using MiAudit.Flows;

namespace MiAudit.Proxy.Tests.Capture;

public class BodyMemoryBudgetTests
{
    [Fact]
    public async Task Flows_within_the_budget_pass_and_one_beyond_it_waits_for_a_release()
    {
        var budget = new BodyMemoryBudget(100);
        await budget.AcquireAsync(60);
        await budget.AcquireAsync(40);

        var waiting = budget.AcquireAsync(10).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        budget.Release(60);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(50, budget.Used);
    }

    [Fact]
    public async Task A_flow_larger_than_the_budget_passes_when_nothing_else_is_held()
    {
        var budget = new BodyMemoryBudget(100);
        await budget.AcquireAsync(500).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        var next = budget.AcquireAsync(1).AsTask();
        Assert.False(next.IsCompleted);
        budget.Release(500);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Waiters_are_served_in_order()
    {
        var budget = new BodyMemoryBudget(10);
        await budget.AcquireAsync(10);
        var first = budget.AcquireAsync(8).AsTask();
        var second = budget.AcquireAsync(1).AsTask(); // would fit after the first, but must not overtake it

        budget.Release(10);
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(9, budget.Used);
    }
}
