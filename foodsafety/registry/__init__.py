"""The registry: jurisdictions (GB/T 2260), schools, units and supply links, and who may see which."""
