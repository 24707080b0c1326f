/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/jpeg.c: libjpeg-turbo reads the surface's BGRX rows directly
 * (JCS_EXT_BGRX), so no conversion pass; errors longjmp back here instead
 * of exiting the process. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <spice/enums.h>
#include "encoders/jpeg.h"

struct err {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
};

static void on_error(j_common_ptr cinfo)
{
	longjmp(((struct err *)cinfo->err)->jb, 1);
}

static void on_message(j_common_ptr cinfo)
{
	(void)cinfo; /* warnings are not the library's to print */
}

uint8_t *sf_jpeg_encode(const struct sf_image *img, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			int quality, size_t *len)
{
	struct jpeg_compress_struct c;
	struct err e;
	unsigned char *volatile out = NULL;
	unsigned long size = 0;

	/* RGBA: the colour only (JPEG_ALPHA sends the alpha as LZ) */
	if ((img->format != SPICE_BITMAP_FMT_32BIT && img->format != SPICE_BITMAP_FMT_RGBA) || !w ||
	    !h || w > 65500 || h > 65500)
		return NULL;
	c.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = on_error;
	e.mgr.output_message = on_message;
	if (setjmp(e.jb)) {
		jpeg_destroy_compress(&c);
		free(out);
		return NULL;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, (unsigned char **)&out, &size);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 4;
	c.in_color_space = JCS_EXT_BGRX;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(sf_image_row(img, y + c.next_scanline) + (size_t)x * 4);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*len = size;
	return out;
}

int sf_jpeg_decode(const uint8_t *in, size_t len, uint32_t w, uint32_t h, uint32_t *out)
{
	struct jpeg_decompress_struct d;
	struct err e;

	d.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = on_error;
	e.mgr.output_message = on_message;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&d);
		return -EINVAL;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, in, (unsigned long)len);
	if (jpeg_read_header(&d, TRUE) != JPEG_HEADER_OK || d.image_width != w ||
	    d.image_height != h) {
		jpeg_destroy_decompress(&d);
		return -EINVAL;
	}
	d.out_color_space = JCS_EXT_BGRX;
	jpeg_start_decompress(&d);
	while (d.output_scanline < h) {
		JSAMPROW row = (JSAMPROW)(out + (size_t)d.output_scanline * w);
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	for (size_t i = 0; i < (size_t)w * h; i++)
		out[i] &= 0xffffff;
	return 0;
}
