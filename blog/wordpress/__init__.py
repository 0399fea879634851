"""Coming from WordPress, and leaving for it: reading a WXR export (wxr_reader), storing what it holds
(wxr_import), writing ours (wxr_export), and answering WordPress's old addresses (old_addresses)."""
