"""The media library: images uploaded from the editor, checked and re-encoded with Pillow, stored
under UPLOAD_FOLDER with resized variants, listed on the Media page."""
