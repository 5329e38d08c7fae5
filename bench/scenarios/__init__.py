"""The benchmark scenarios: each an async function taking a Context and returning figures and details."""
