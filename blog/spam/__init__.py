"""The spam filter that runs on the blog's own machine: the checks on a linkback's sender and
page, a statistical classifier that learns from the owner's decisions (its counts live in the
database, so every process shares them), silent discarding of certain spam, and old spam's removal."""
