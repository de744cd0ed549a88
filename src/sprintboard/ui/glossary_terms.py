"""The words the pages use, in plain language for stakeholders (the Glossary page lists them)."""

from __future__ import annotations

TERMS: dict[str, tuple[str, str]] = {
    # term: (area, explanation)
    "Sprint goal": ("Sprints", "What the team set out to achieve in the sprint, in one sentence."),
    "Burndown": ("Sprints", "Work remaining in the sprint, day by day. It falls when work is finished and rises "
                 "when work is added mid-sprint. The dashed guideline is an even pace from the committed scope to "
                 "zero; Sprintboard follows Jira's rules for what counts."),
    "Burnup": ("Sprints", "Work completed and the total scope, day by day: a growing gap between the lines is scope "
               "added faster than it is finished."),
    "Committed scope": ("Sprints", "The work in the sprint when it started. Work added later is scope change."),
    "Velocity": ("Sprints", "Story points (or items) finished per sprint, against what was committed."),
    "Commitment reliability": ("Sprints", "The share of the committed work that was finished in the sprint."),
    "Carry-over": ("Sprints", "Committed work not finished in its sprint and moved to the next one."),
    "Cycle time": ("Flow", "Days from when work on an item started to when it was done. The 85th percentile "
                   "means 85 of 100 items took that long or less."),
    "Throughput": ("Flow", "Items finished per day or week."),
    "Work item age": ("Flow", "How long an unfinished item has been in progress; old items are likely stuck."),
    "Time-box": ("Research", "The hours agreed for a piece of research. An overrun is a prompt to decide, not a "
                 "failure."),
    "Hypothesis": ("Research", "A testable statement the team believes, with success criteria on model metrics: "
                   "\"a fine-tuned model reaches precision above 0.95\"."),
    "Supported": ("Research", "The runs meet every success criterion."),
    "Refuted": ("Research", "The runs finished and a criterion is clearly not met. A refuted hypothesis is a result: "
                "the team learned something."),
    "Inconclusive": ("Research", "The evidence does not decide: seeds disagree, or the difference is within the "
                     "run-to-run spread."),
    "Open": ("Research", "Runs are still running, or none have been linked yet."),
    "Expired": ("Research", "The time-box is over and no decision was recorded."),
    "Confidence interval": ("Statistics", "A range of plausible values for a number measured from limited data; a "
                            "95% interval would contain the true value in 95 of 100 repetitions. Narrow means the "
                            "data pins it down; wide means it does not."),
    "Bootstrap": ("Statistics", "Estimating how much a number could vary by recomputing it on many resamples of the "
                  "data drawn with replacement."),
    "Seed": ("Statistics", "The starting point of a run's randomness. Runs that differ only in the seed show how "
             "much a result varies by chance."),
    "Baseline": ("Model metrics", "The value progress is measured against, such as the first working model's AUC."),
    "Target": ("Model metrics", "The value the team aims to reach."),
    "Best so far (frontier)": ("Model metrics", "The best value any finished run reached up to a sprint: a line "
                               "that never gets worse."),
    "Smoothing": ("Model metrics", "A moving average that shows the trend of a noisy curve; the raw line stays "
                  "visible faintly."),
    "Downsampling": ("Model metrics", "Drawing fewer points than were logged. Sprintboard keeps each stretch's "
                     "first, last, lowest and highest point, so no spike disappears."),
    "Sensitive attribute": ("Bias checks", "A characteristic of people, such as sex or race, across which a model "
                            "should not treat groups very differently."),
    "Reference group": ("Bias checks", "The group others are compared with: by default the largest."),
    "Disparity ratio": ("Bias checks", "A group's rate divided by the reference group's. 1 means equal; 0.8 means "
                        "the group's rate is 80% of the reference's."),
    "Four-fifths band": ("Bias checks", "Ratios between 0.8 and 1.25 count as similar. A screening convention from "
                         "US hiring guidelines, not a legal test."),
    "Insufficient data": ("Bias checks", "Too few people in a group (or in the cases a rate divides by) to judge; "
                          "never shown as a pass or a fail."),
    "Selection rate": ("Bias checks", "The share of a group the model selects (predicts positive)."),
    "Recall (true positive rate)": ("Bias checks", "The share of the people who truly qualify that the model finds."),
    "False positive rate": ("Bias checks", "The share of the people who do not qualify that the model wrongly "
                            "selects."),
    "Demographic parity": ("Bias checks", "Groups are selected at similar rates."),
    "Equal opportunity": ("Bias checks", "Groups' qualifying people are found at similar rates (similar recall)."),
    "Equalized odds": ("Bias checks", "Similar recall and similar false positive rates across groups."),
    "Definition of Done": ("Quality", "The checks an item must pass to count as done: baseline reached, "
                           "reproducible (a git commit and a config), documented (notes), bias check passed."),
}
